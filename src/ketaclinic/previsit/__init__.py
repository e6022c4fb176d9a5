"""What a patient does before a visit: the questionnaires their plan assigns
(clinical.treatment.assignments over the booked visits and the answers given)."""
