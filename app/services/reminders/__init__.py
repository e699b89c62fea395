"""Payment reminders and the follow-up of customers who owe money (issue 13).

rules.py      the default set and per-company overrides; which step is due
schedule.py   what goes out today and why (the preview), and the daily run
send.py       claim a step (one row per invoice and step), fill the email, send it
followups.py  notes, promised payment dates, pauses — each in the audit trail
"""
