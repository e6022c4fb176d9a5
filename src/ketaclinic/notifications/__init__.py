"""Notifications to patients (issue 21): an outbox of messages written in the change's
transaction (``service.queue``), delivered after commit by the job runner
(``kit.jobs``) over SMTP or Twilio, by the patient's recorded preference and consent,
inside quiet hours, once per event, with back-off. No health information in a body."""
