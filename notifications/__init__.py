"""Delivering the outbox: email composition, the mail/SMS transports and the RQ queueing glue.

core/outbox.py decides *what* is sent and *whether* it is still due; this package knows Flask
(templates, translations, config) and the outside world (SMTP, files, Redis).
"""
