"""A generic, YAML-driven state-machine engine.

Nothing here knows a domain: plugins give it sections of the definition format, presets,
guards and actions.  Importing this package is cheap on purpose; heavy modules
(YAML, JSON Schema, SQLAlchemy, Graphviz) are imported only where they are used.
"""
