"""Read models for the front desk's pages that join several domains' tables in one
statement (the patient list with each patient's next visit; a chart's visits with their
chairside session). Above patients, appointments and chairside: none of them imports it."""
