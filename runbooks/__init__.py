"""Executable runbooks: steps with a command, a go/no-go check and a rollback, journaled."""
