// Server code imported from a Node process (the worker, a script, a test): nothing to check.
