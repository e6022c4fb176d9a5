"""The calendar's refusals, one class per error with its stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import Conflict, FieldInvalid, NotFound, ValidationFailed


class StartsAtWithoutOffset(FieldInvalid):
    code = "starts_at_without_offset"
    field = "starts_at"
    default_message = "must include a time zone offset"


class ChairTakenMeanwhile(Conflict):
    """Someone else booked that chair at that time between the offer and the choice."""

    code = "chair_taken_meanwhile"


class TimeNotOffered(FieldInvalid):
    code = "time_not_offered"
    field = "starts_at"
    default_message = "choose one of the suggested times"


class PlanNotBookable(Conflict):
    code = "plan_not_bookable"


class ProtocolNotLoaded(FieldInvalid):
    code = "protocol_not_loaded"
    field = "plan_id"


class RestChoiceInvalid(FieldInvalid):
    code = "rest_choice_invalid"
    field = "rest"
    default_message = "the only choice for the rest is 'waitlist'"


class OptionOutOfRange(FieldInvalid):
    code = "option_out_of_range"
    field = "option"


class CalendarChanged(Conflict):
    code = "calendar_changed"
    default_message = "The calendar changed since these times were shown; here they are again."


class SessionsDoNotFit(Conflict):
    """Only part of the series fits: book what fits and wait-list the rest, or widen."""

    code = "sessions_do_not_fit"


class AppointmentNotFound(NotFound):
    code = "appointment_not_found"
    default_message = "No such appointment in your clinics."


class AppointmentNotOpen(Conflict):
    """Cancelled, missed or completed: the visit can no longer change."""

    code = "appointment_not_open"


class CancelReasonTooShort(FieldInvalid):
    code = "cancel_reason_too_short"
    field = "reason"
    default_message = "say why (at least 3 characters)"


class NoShowBeforeStart(Conflict):
    code = "no_show_before_start"
    default_message = "A visit that has not started cannot be a no-show."


class EscortRequired(FieldInvalid):
    code = "escort_required"
    field = "escort"
    default_message = "name who is taking the patient home"


class RosterInvalid(ValidationFailed):
    code = "roster_invalid"
    default_message = "Check the roster."


class NoHolidayCalendar(FieldInvalid):
    code = "no_holiday_calendar"
    field = "country"


class SeriesFullyBooked(Conflict):
    code = "series_fully_booked"
    default_message = "Every session of this plan is booked."


class PlanStartsAfterHorizon(FieldInvalid):
    code = "plan_starts_after_horizon"
    field = "start"
    default_message = "the plan starts after the booking horizon"


class OutsideWindowNeedsReason(Conflict):
    code = "outside_window_reason_required"


class OutsideWindowPrescriberOnly(Conflict):
    code = "outside_window_prescriber_only"


class WindowOverrideReasonTooShort(FieldInvalid):
    code = "window_override_reason_too_short"
    field = "override_reason"
    default_message = "say why (at least 3 characters)"


class NoBookingStaff(FieldInvalid):
    code = "no_booking_staff"
    field = "by"
    default_message = "the clinic has no front desk or admin to book as"


class ScheduleFailedCheck(Conflict):
    """The optimizer's plan broke a rule the independent checker enforces: nothing stored."""

    code = "schedule_failed_check"
    default_message = "The optimizer's schedule failed the independent check; nothing stored."


class DateInvalid(FieldInvalid):
    code = "date_invalid"
    field = "date"
    default_message = "use YYYY-MM-DD"


class AvailabilityInvalid(ValidationFailed):
    code = "availability_invalid"
    default_message = "Check the patient's days and hours."


class UnknownAction(FieldInvalid):
    code = "unknown_action"
    field = "action"


class HolidayYearOutOfRange(FieldInvalid):
    code = "holiday_year_out_of_range"
    field = "year"
    default_message = "give a year between 2000 and 2100"
