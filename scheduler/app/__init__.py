"""Use cases shared by the CLI, batch and publish: plan to file, record, batch, chair load."""
