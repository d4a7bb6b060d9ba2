"""The pure core: definitions, validation, machines and calendar arithmetic; no database, no files
written, no external programs, so it can be reasoned about and tested without any I/O."""
