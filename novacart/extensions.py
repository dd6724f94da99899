"""Extension instances, bound to an app by create_app(); nothing else lives here."""

from flask_cors import CORS
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from novacart.auth.tokens import CachingJWTManager
from novacart.db import Base
from novacart.errors import ProblemApi
from novacart.ratelimit import RouteLimiter, client_network

# Objects stay loaded after a commit: a service returns what it just wrote without a second SELECT.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
jwt = CachingJWTManager()  # verified tokens kept until they expire (novacart/auth/tokens.py)
login_manager = LoginManager()
csrf = CSRFProtect()
api = ProblemApi()
limiter = RouteLimiter(key_func=client_network, default_limits=[])
socketio = SocketIO()
cors = CORS()
