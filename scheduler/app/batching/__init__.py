"""The batch's machinery: one row planned (rows: general or compiled), the folder it writes (folder: clinic.ics,
the manifest), workers (pool), what a rerun keeps (rerun), plan templates (compiled), the clinic calendar's view
of an event (clinic_events), and a booked patient's files written again with the book (rewrite)."""
