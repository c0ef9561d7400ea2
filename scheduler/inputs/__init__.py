"""What users give txcal besides templates: plan files, patient lists, closures."""
