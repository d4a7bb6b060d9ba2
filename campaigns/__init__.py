"""The rectification plugin: campaigns, units, problem items, rectifications and the CLI."""
