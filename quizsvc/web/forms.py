"""Flask-WTF forms: CSRF on every form, length limits on every field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FloatField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from quizsvc.quiz.bank import MAX_TIME_LIMIT

SLUG = Regexp(r"^[a-z0-9][a-z0-9-]*$", message=_l("Lower-case letters, digits and '-' only."))


class ActionForm(FlaskForm):
    """A button that changes state (publish, delete, revoke): it still needs the CSRF token."""


class LoginForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class RegisterForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    # The format is checked by accounts.create_user (wtforms' Email() needs email_validator).
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=200)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])


class JoinForm(FlaskForm):
    code = StringField(_l("Join code"), validators=[DataRequired(), Length(max=32)])


class CourseForm(FlaskForm):
    slug = StringField(_l("Slug"), validators=[DataRequired(), Length(max=63), SLUG])
    title = StringField(_l("Title (Korean)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=200)])
    timezone = StringField(_l("Time zone (every date of the course is shown and entered in it)"), default="Asia/Seoul",
                           validators=[DataRequired(), Length(max=64)])


class CourseSettingsForm(FlaskForm):
    title = StringField(_l("Title (Korean)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=200)])
    timezone = StringField(_l("Time zone (IANA name)"), validators=[DataRequired(), Length(max=64)])


class QuizForm(FlaskForm):
    slug = StringField(_l("Slug"), validators=[DataRequired(), Length(max=63), SLUG])
    title = StringField(_l("Title (Korean)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=200)])
    description_ko = TextAreaField(_l("Description (Korean, Markdown)"), validators=[Optional(), Length(max=20000)])
    description_en = TextAreaField(_l("Description (English, Markdown)"), validators=[Optional(), Length(max=20000)])
    opens_at = DateTimeLocalField(_l("Opens at (course time zone)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("Closes at (course time zone)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    max_attempts = IntegerField(_l("Attempts allowed (empty: unlimited)"), validators=[Optional(), NumberRange(1, 1000)])
    time_limit_minutes = IntegerField(_l("Time limit in minutes (empty: no limit)"),
                                      validators=[Optional(), NumberRange(1, MAX_TIME_LIMIT)])
    feedback_policy = SelectField(
        _l("Feedback"),
        choices=[SelectChoice("immediate", _l("Immediately after submitting")),
                 SelectChoice("after_close", _l("After the close date"))],
    )
    shuffle_options = BooleanField(_l("Shuffle options per student"), default=True)
    published = BooleanField(_l("Published"))


class ItemForm(FlaskForm):
    key = StringField(_l("Key"), validators=[DataRequired(), Length(max=63)])
    type_name = SelectField(_l("Type"))
    section = StringField(_l("Section"), validators=[Optional(), Length(max=64)])
    points = FloatField(_l("Points"), default=1.0, validators=[DataRequired(), NumberRange(min=0.01, max=1000)])
    prompt_ko = TextAreaField(_l("Question (Korean, Markdown + $math$)"), validators=[Length(max=20000)])
    prompt_en = TextAreaField(_l("Question (English, Markdown + $math$)"), validators=[Length(max=20000)])
    explanation_ko = TextAreaField(_l("Explanation (Korean)"), validators=[Length(max=20000)])
    explanation_en = TextAreaField(_l("Explanation (English)"), validators=[Length(max=20000)])
    config = TextAreaField(_l("Settings (YAML)"), validators=[Length(max=50000)])


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    scopes = SelectMultipleField(
        _l("Scopes"),
        choices=[SelectChoice(s) for s in ("read", "answer", "submit", "manage")],
        default=["read"],
        validators=[DataRequired()],
    )
    expires_in_days = IntegerField(_l("Expires after (days, empty: never)"), validators=[Optional(), NumberRange(1, 3650)])


class OverrideForm(FlaskForm):
    """A score set by hand; the range is checked by the service, which knows the maximum."""

    score = FloatField(_l("New score"), validators=[InputRequired()])
    comment = TextAreaField(_l("Comment the student sees"), validators=[DataRequired(), Length(max=2000)])


class ExceptionForm(FlaskForm):
    """One student's own dates and extra tries for one quiz or assignment (choices set by the view)."""

    user_id = SelectField(_l("Student"), coerce=int, validate_choice=False, validators=[InputRequired()])
    target = SelectField(_l("Quiz or assignment"), validate_choice=False)
    closes_at = DateTimeLocalField(_l("Own close date (course time zone; empty: the usual one)"), validators=[Optional()],
                                   format="%Y-%m-%dT%H:%M")
    due_at = DateTimeLocalField(_l("Own due date for late days (course time zone; assignments only)"), validators=[Optional()],
                                format="%Y-%m-%dT%H:%M")
    extra = IntegerField(_l("Extra attempts or submissions"), default=0, validators=[Optional(), NumberRange(0, 100)])
    extra_minutes = IntegerField(_l("Extra time in minutes (timed quizzes)"), default=0,
                                 validators=[Optional(), NumberRange(0, 24 * 60)])


class AssignmentSettingsForm(FlaskForm):
    """An assignment's course settings; the ranges and the order of the dates are checked by
    the service (services.assignment_settings), which says what is wrong in both languages."""

    title = StringField(_l("Title (Korean)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=200)])
    opens_at = DateTimeLocalField(_l("Opens at (course time zone)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    due_at = DateTimeLocalField(_l("Due at (course time zone)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("Closes at (course time zone)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    late_penalty_per_day = FloatField(_l("Late penalty per day (0 to 1)"), default=0.0,
                                      validators=[InputRequired()])
    max_submissions = IntegerField(_l("Submissions allowed (empty: unlimited)"), validators=[Optional()])
    score_policy = SelectField(
        _l("Score that counts"),
        choices=[SelectChoice("best", _l("The best submission")),
                 SelectChoice("last", _l("The latest graded submission"))],
    )
    feedback = SelectField(
        _l("What students see of a graded submission"),
        choices=[SelectChoice("full", _l("Everything: messages, hints and the diagnosis")),
                 SelectChoice("scores", _l("Only the score and which tests passed")),
                 SelectChoice("after_due", _l("Only scores until the due date, then everything"))],
        validate_choice=False,  # the service checks it (and a form without it keeps the setting)
    )


class BankUploadForm(FlaskForm):
    file = FileField(_l("Quiz bank (.zip of YAML files, or one quiz's .yaml)"),
                     validators=[FileRequired(_l("Choose a file."))])


class BankApplyForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=64)])
