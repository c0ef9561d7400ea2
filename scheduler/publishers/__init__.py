"""Publishers: keep a remote calendar (CalDAV) in step with a plan."""
