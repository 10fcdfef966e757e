"""The learner's competency profile: levels of the social cluster competency model attained by completing courses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.core.i18n import _, local_date, pick, using_locale
from app.courses.models import Competency, CompetencyArea, CompetencyLevel, Course
from app.courses.service import competency_model
from app.progress.documents import ProfileCompetency, ProfileDocument
from app.progress.models import Certificate, CompletionState, CourseCompletion
from app.quizzes.models import Quiz, QuizGrade

MAX_LEVEL = 3


def attained_levels(targets: Iterable[Mapping[str, Any]], quiz_grade: float | None) -> dict[str, int]:
    """Highest level per competency code a completed course gives: a target with `min_grade` needs that grade.

    `targets` are course.yaml's competency entries as stored on the course: {"code", "level", "min_grade"}.
    """
    levels: dict[str, int] = {}
    for target in targets:
        min_grade = target.get("min_grade")
        if min_grade is not None and (quiz_grade is None or quiz_grade < float(min_grade) - 1e-9):
            continue
        code, level = str(target["code"]), int(target["level"])
        levels[code] = max(level, levels.get(code, 0))
    return levels


@dataclass
class CompetencyStanding:
    competency: Competency
    level: int = 0
    evidence: list[Course] = field(default_factory=list)  # completed courses that gave this level


@dataclass
class AreaStanding:
    area: CompetencyArea
    competencies: list[CompetencyStanding]


@dataclass
class CompetencyProfile:
    areas: list[AreaStanding]
    levels: dict[int, CompetencyLevel]
    completed_courses: int

    @property
    def standings(self) -> list[CompetencyStanding]:
        return [standing for area in self.areas for standing in area.competencies]

    @property
    def attained(self) -> int:
        return sum(1 for standing in self.standings if standing.level > 0)


def competency_profile(session: Session, *, user: User) -> CompetencyProfile:
    """Levels from the learner's completed courses; a revoked certificate takes its course's levels away."""
    model = competency_model(session)
    revoked = select(Certificate.course_id).where(Certificate.user_id == user.id, Certificate.revoked_at.is_not(None))
    rows = session.execute(
        select(Course, QuizGrade.grade)
        .join(CourseCompletion, CourseCompletion.course_id == Course.id)
        .outerjoin(Quiz, Quiz.course_id == Course.id)
        .outerjoin(QuizGrade, (QuizGrade.quiz_id == Quiz.id) & (QuizGrade.user_id == user.id))
        .where(
            CourseCompletion.user_id == user.id,
            CourseCompletion.state == CompletionState.COMPLETED,
            Course.id.not_in(revoked),
        )
        .order_by(Course.position, Course.code)
    ).all()
    standings = {
        competency.code: CompetencyStanding(competency) for area in model.areas for competency in area.competencies
    }
    for course, grade in rows:
        for code, level in attained_levels(course.competencies, grade).items():
            standing = standings.get(code)
            if standing is None:
                continue  # the course names a competency the model has retired
            if level > standing.level:
                standing.level, standing.evidence = level, [course]
            elif level == standing.level:
                standing.evidence.append(course)
    areas = [
        AreaStanding(area, [standings[competency.code] for competency in area.competencies]) for area in model.areas
    ]
    return CompetencyProfile(areas=areas, levels=model.levels, completed_courses=len(rows))


def profile_document(
    session: Session, *, profile: CompetencyProfile, user: User, locale: str, site_url: str
) -> ProfileDocument:
    """The profile as the PDF renderer wants it: every text already in the reader's language."""
    organisation = session.get(Organisation, user.organisation_id) if user.organisation_id else None
    with using_locale(locale):
        not_yet = _("Not yet attained")
    level_titles = {number: str(pick(level.title, locale)) for number, level in profile.levels.items()}
    return ProfileDocument(
        locale=locale,
        holder_name=user.full_name,
        organisation=organisation.name(locale) if organisation else "",
        generated_on=local_date(),
        levels=sorted(level_titles.items()),
        competencies=[
            ProfileCompetency(
                area_title=str(pick(area.area.title, locale)),
                code=standing.competency.code,
                title=str(pick(standing.competency.title, locale)),
                level=standing.level,
                level_title=level_titles.get(standing.level, not_yet),
                evidence=[str(pick(course.title, locale)) for course in standing.evidence],
            )
            for area in profile.areas
            for standing in area.competencies
        ],
        site_url=site_url,
    )
