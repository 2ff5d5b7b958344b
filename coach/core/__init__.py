"""Foundations every other package stands on: settings, database, data model, errors, audit log, prompts."""
