"""NovaCart benchmarks: commands that print figures (never assertions in tests)."""
