"""The partnership's directory: partnerships (tenants), agencies, people and escalation contacts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property

# Role is defined in escalate/vocabulary.py (shared with the core and the policy schema).
from escalate.vocabulary import Role as Role


class Nation(models.TextChoices):
    """The UK nation whose bank holidays count for a partnership's working days."""

    ENGLAND = "england", "England"
    WALES = "wales", "Wales"
    SCOTLAND = "scotland", "Scotland"
    NORTHERN_IRELAND = "northern_ireland", "Northern Ireland"


class Covers(models.TextChoices):
    """Who a partnership (and its policy) safeguards."""

    CHILDREN = "children", "Children"
    ADULTS = "adults", "Adults"
    BOTH = "both", "Children and adults"


class AgencyType(models.TextChoices):
    SCHOOL = "school", "School or education setting"
    HEALTH = "health", "Health (community or hospital)"
    GP = "gp", "GP practice"
    POLICE = "police", "Police"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
    EARLY_HELP = "early_help", "Early help"
    ADULT_SOCIAL_CARE = "adult_social_care", "Adult social care"
    PROBATION = "probation", "Probation"
    VOLUNTARY = "voluntary", "Voluntary or community sector"
    PARTNERSHIP = "partnership", "Safeguarding partnership business unit"
    OTHER = "other", "Other"


# Management tiers, used by policies to say who acts at each stage on each side.
class Level(models.IntegerChoices):
    PRACTITIONER = 1, "Practitioner"
    LINE_MANAGER = 2, "Line manager"
    SENIOR_MANAGER = 3, "Senior manager"
    STRATEGIC = 4, "Director or strategic lead"


reference_prefix_validator = RegexValidator(
    r"^[A-Z]{2,6}$", "Use 2 to 6 capital letters, for example HAV."
)


class Partnership(models.Model):
    """A safeguarding partnership (LSCP and/or SAB): the tenant that owns everything else."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    reference_prefix = models.CharField(
        max_length=6, unique=True, validators=[reference_prefix_validator]
    )
    covers = models.CharField(max_length=10, choices=Covers.choices, default=Covers.CHILDREN)
    nation = models.CharField(max_length=20, choices=Nation.choices, default=Nation.ENGLAND)
    business_team_email = models.EmailField(blank=True)
    # Told when an escalation's IRO or CP chair is "not known": the team that allocates them.
    reviewing_service_email = models.EmailField(
        blank=True,
        help_text="The IRO and child protection chair service's team mailbox.",
    )
    front_door_name = models.CharField(
        max_length=120, default="the children's front door (MASH)", blank=True
    )
    front_door_phone = models.CharField(max_length=40, blank=True)
    lado_contact = models.CharField(
        max_length=300,
        blank=True,
        help_text="How to reach the LADO/ADO, shown wherever the process is signposted.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="agencies")
    name = models.CharField(max_length=200)
    agency_type = models.CharField(max_length=30, choices=AgencyType.choices)
    email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)
    is_board_member = models.BooleanField(
        default=False,
        db_default=False,
        help_text="The agency is a member of the partnership's full Board: its senior officers "
        "can sit on a Resolution Panel (Havering 2.12) and its Board members are engaged before "
        "a Stage 4 referral (2.8).",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["partnership", "name"], name="agency_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class PersonManager(BaseUserManager["Person"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> Person:
        if not email:
            raise ValueError("A person needs an email address")
        person = self.model(email=self.normalize_email(email).lower(), **fields)
        person.set_password(password)
        person.save(using=self._db)
        return person

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> Person:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        fields.setdefault("full_name", "Platform administrator")
        return self.create_user(email, password, **fields)


class Person(AbstractBaseUser, PermissionsMixin):
    """Someone who signs in: works in one agency of one partnership, may have a line manager."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    job_title = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.PROTECT,
        related_name="people",
        null=True,
        blank=True,
        help_text="Empty only for platform administrators who belong to no partnership.",
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="people", null=True, blank=True
    )
    line_manager = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.PRACTITIONER)
    is_senior_officer = models.BooleanField(
        default=False,
        db_default=False,
        help_text="A senior officer of their agency: of a Board member agency, a Resolution "
        "Panel candidate (Havering 2.12).",
    )
    is_away = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Away for now (leave, long absence): their part in an open escalation is "
        "reassigned by their manager or the business unit.",
    )
    daily_digest = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Routine emails about escalations come as one email a day (notifications "
        "settings; managers only). Urgent ones are always sent at once.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Can sign in to the administration pages of their partnership."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = PersonManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        verbose_name = "person"
        verbose_name_plural = "people"
        indexes = [models.Index(fields=["partnership", "agency"])]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.lower()
        agency = self.agency
        if (
            agency is not None
            and self.partnership_id
            and agency.partnership_id != self.partnership_id
        ):
            raise ValidationError({"agency": "The agency belongs to another partnership."})
        manager = self.line_manager
        if manager is not None:
            if manager.pk == self.pk:
                raise ValidationError({"line_manager": "A person cannot manage themselves."})
            if manager.partnership_id != self.partnership_id:
                raise ValidationError(
                    {"line_manager": "The line manager belongs to another partnership."}
                )

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @cached_property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.role_assignments.values_list("role", flat=True))

    def has_role(self, *roles: str) -> bool:
        return any(role in self.role_set for role in roles)

    def management_chain(self) -> list[Person]:
        """Line manager, their line manager, and so on up (cycles are cut)."""
        chain: list[Person] = []
        seen = {self.pk}
        manager = self.line_manager
        while manager is not None and manager.pk not in seen:
            chain.append(manager)
            seen.add(manager.pk)
            manager = manager.line_manager
        return chain


class RoleAssignment(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=30, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "role"], name="role_assignment_unique")
        ]
        indexes = [models.Index(fields=["role", "person"])]

    def __str__(self) -> str:
        return f"{self.person}: {self.get_role_display()}"


class EscalationContact(models.Model):
    """Who to contact in an agency at an escalation level (West Sussex's "Level 2 contacts")."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="contacts")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    service = models.CharField(
        max_length=150, blank=True, help_text="The team or service, if the agency has several."
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_roles",
        help_text="The person in Escalate, when they have an account.",
    )
    name = models.CharField(max_length=150)
    job_title = models.CharField(max_length=150, blank=True)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["agency__name", "level", "service"]
        indexes = [models.Index(fields=["agency", "level"])]

    def __str__(self) -> str:
        return f"{self.agency} level {self.level}: {self.name}"

    def clean(self) -> None:
        super().clean()
        if self.person is not None and self.person.partnership_id != self.agency.partnership_id:
            raise ValidationError({"person": "That person belongs to another partnership."})
