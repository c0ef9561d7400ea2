"""The coordinator's web page (`txcal serve`): a thin front end over the app/ use cases."""
