"""Reads Moodle GIFT question files into the interchange model and writes the model back out as GIFT.

The reader follows Moodle's own GIFT importer: blank lines separate questions, `//` lines are comments,
one `{...}` answer block per question, and its contents decide the question type. A problem with one
question skips that question (reported as an `ImportIssue`), never the whole file.

GIFT has no place for some model fields, so the writer leaves them out: marks (`default_mark`),
`shuffle_answers`, `case_sensitive`, an essay's `grader_info` and `response_template`, and a
description's general feedback. Answers always share the question's text format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from pydantic import ValidationError

from app.core.i18n import gettext
from app.quizzes.interchange import (
    Answer,
    Description,
    Essay,
    ImportIssue,
    ImportReport,
    Matching,
    MatchPair,
    MultipleChoice,
    Numerical,
    NumericalAnswer,
    ParseError,
    Question,
    ShortAnswer,
    SingleChoice,
    TextFormat,
    TrueFalse,
)

__all__ = ["read_gift", "write_gift"]

# Escaped characters become a NUL plus a code letter while the question is split, then are put back.
# NUL cannot occur in the input (it is refused as "not text"), so the placeholders never collide.
_PLACEHOLDER = "\x00"
_ESCAPE_CODES = {"\\": "b", "~": "t", "=": "e", "#": "h", "{": "o", "}": "c", ":": "k", "n": "n"}
_RESTORED = {code: ("\n" if char == "n" else char) for char, code in _ESCAPE_CODES.items()}
_ESCAPE_RE = re.compile(r"\\([\\~=#{}:n])")
_PLACEHOLDER_RE = re.compile(_PLACEHOLDER + "(.)", re.DOTALL)

_CATEGORY_MARK = "$CATEGORY:"
_MISSING_WORD = "_____"
_FORMAT_RE = re.compile(r"\[(html|moodle|plain|markdown)\]")
_WEIGHT_RE = re.compile(r"%(-?\d+(?:\.\d*)?)%")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_CONTEXT_RE = re.compile(r"\$[a-z]+\d*\$")  # $course$, $system$, $module$, $cat1$ ...
_CLOZE_RE = re.compile(r"\d*:[A-Z][A-Z_]*:")  # {1:MULTICHOICE:...}, {:SA:...}
_METADATA_RE = re.compile(r"\[(id|tag):((?:\\.|[^\]\\])*)\]")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
# Moodle's grade menu, as fractions; any other weight is refused by Moodle unless it rounds.
_MOODLE_GRADES = (1.0, 0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3)
_MOODLE_GRADES += (0.25, 0.2, 0.1666667, 0.1428571, 0.125, 0.1111111, 0.1, 0.05, 0.0)

# Messages are English (content checks, the command line) unless the caller asks for the reader's language.
_translate_messages: ContextVar[bool] = ContextVar("gift_translate_messages", default=False)


def _(message: str, **variables: object) -> str:
    """A problem message, translated only while `read_gift(..., translate_messages=True)` runs."""
    text = gettext(message) if _translate_messages.get() else message
    return text % variables if variables else text


# ---------------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------------


class _Skip(Exception):
    """One question cannot be imported; the message says why (in English unless translation was asked for)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class _Block:
    """The lines of one question (or category), without comment lines, and the comments found among them."""

    line: int
    lines: list[str] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


@dataclass
class _Context:
    """What the parts of one question share: the question's text format and the warnings collected so far."""

    text_format: TextFormat = "moodle"
    warnings: list[str] = field(default_factory=list)
    other_formats: set[str] = field(default_factory=set)

    def rich(self, raw: str) -> str:
        """An answer or feedback text: an optional `[format]` prefix, which must match the question's."""
        text_format, raw = _split_format(raw.strip())
        if text_format is not None and text_format != self.text_format:
            self.other_formats.add(text_format)
        return _restore(raw.strip())

    def weight(self, raw: str) -> tuple[float | None, str]:
        """Split a leading `%n%` weight off an answer, as a fraction; None when there is none."""
        raw = raw.strip()
        match = _WEIGHT_RE.match(raw)
        if not match:
            return None, raw
        percent = Decimal(match.group(1))
        if not -100 <= percent <= 100:
            raise _Skip(_("the weight %(weight)s is outside the range -100%% to 100%%", weight=f"%{match.group(1)}%"))
        fraction = float(percent / 100)  # decimal division: %33.33333% is exactly 0.3333333
        if not any(abs(abs(fraction) - grade) < 1e-5 for grade in _MOODLE_GRADES):
            self.warnings.append(
                _(
                    "the weight %(weight)s is not one of Moodle's grade values; it was kept as it is, "
                    "but Moodle itself only accepts it when 'match grades' rounds it to the nearest value",
                    weight=f"%{match.group(1)}%",
                )
            )
        return fraction, raw[match.end() :]


def _protect(text: str) -> str:
    return _ESCAPE_RE.sub(lambda match: _PLACEHOLDER + _ESCAPE_CODES[match.group(1)], text)


def _restore(text: str) -> str:
    return _PLACEHOLDER_RE.sub(lambda match: _RESTORED[match.group(1)], text)


def _snippet(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _blocks(text: str) -> Iterator[_Block]:
    """Group lines into blocks separated by blank lines; comment lines are set aside, not separators."""
    block: _Block | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            if block is not None and block.lines:
                yield block
            block = None
            continue
        if block is None:
            block = _Block(line=number)
        if line.lstrip().startswith("//"):
            block.comments.append(line)
            continue
        if not block.lines:
            block.line = number
        block.lines.append(line)
        block.line_numbers.append(number)
    if block is not None and block.lines:
        yield block


def _category_path(raw: str) -> tuple[str, ...]:
    """`$course$/top/Unit 1/Warm-up` -> ("Unit 1", "Warm-up"); `//` inside a name is a literal slash."""
    parts = [" ".join(part.replace(_PLACEHOLDER, "/").split()) for part in raw.replace("//", _PLACEHOLDER).split("/")]
    if parts and _CONTEXT_RE.fullmatch(parts[0]):
        parts = parts[1:]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return tuple(part for part in parts if part)


def _metadata(comments: list[str]) -> tuple[str | None, tuple[str, ...]]:
    """Read `// [id:...]` and `[tag:...]` markers (as written by Moodle 3.6+) from a block's comment lines."""
    idnumber: str | None = None
    tags: list[str] = []
    for kind, raw in _METADATA_RE.findall("\n".join(comments)):
        value = re.sub(r"\\(.)", r"\1", raw).strip()
        if not value:
            continue
        if kind == "id":
            idnumber = value
        elif value not in tags:
            tags.append(value)
    return idnumber, tuple(tags)


def _items(block: str, markers: str) -> list[tuple[str, str]]:
    """Split an answer block at each marker character; the text before the first marker has marker ''."""
    pieces = re.split(f"([{re.escape(markers)}])", block)
    items = [("", pieces[0])]
    items += [(pieces[index], pieces[index + 1]) for index in range(1, len(pieces), 2)]
    return items


def _answer_and_feedback(raw: str, context: _Context) -> tuple[str, str]:
    answer, _sep, feedback = raw.partition("#")
    return context.rich(answer), context.rich(feedback)


def _parse_choice(block: str, context: _Context, common: dict[str, Any]) -> SingleChoice | MultipleChoice:
    answers: list[Answer] = []
    has_right_marker = False
    for marker, raw in _items(block, "~="):
        if not marker:
            if not raw.strip():
                continue
            context.warnings.append(
                _("the text '%(text)s' before the first ~ was taken as a wrong answer", text=_snippet(_restore(raw)))
            )
        weight, rest = context.weight(raw)
        text, feedback = _answer_and_feedback(rest, context)
        if not text:
            context.warnings.append(
                _("an empty answer (after %(marker)s) was left out", marker=marker)
                if marker
                else _("an empty answer (after the opening brace) was left out")
            )
            continue
        has_right_marker = has_right_marker or marker == "="
        default = 1.0 if marker == "=" else 0.0
        answers.append(Answer(text=text, fraction=default if weight is None else weight, feedback=feedback))
    if len(answers) < 2:
        raise _Skip(
            _("a multiple-choice question needs at least 2 answers, but this one has %(count)s", count=len(answers))
        )
    if has_right_marker:
        if max(answer.fraction for answer in answers) < 1.0:
            context.warnings.append(_("no answer is worth 100%, so nobody can get full marks"))
        return SingleChoice(answers=tuple(answers), **common)
    positive = sum(answer.fraction for answer in answers if answer.fraction > 0)
    if abs(positive - 1.0) > 1e-4:
        context.warnings.append(
            _(
                "the positive weights of this multiple-response question add up to %(total)s%%, not 100%%",
                total=f"{positive * 100:g}",
            )
        )
    return MultipleChoice(answers=tuple(answers), **common)


def _parse_short_answer(block: str, context: _Context, common: dict[str, Any]) -> ShortAnswer:
    answers: list[Answer] = []
    for marker, raw in _items(block, "="):
        if not marker and not raw.strip():
            continue
        weight, rest = context.weight(raw)
        text, feedback = _answer_and_feedback(rest, context)
        if not text:
            context.warnings.append(_("an empty accepted answer was left out"))
            continue
        answers.append(Answer(text=text, fraction=1.0 if weight is None else weight, feedback=feedback))
    if not answers:
        raise _Skip(_("a short-answer question needs at least 1 accepted answer, but this one has none"))
    if max(answer.fraction for answer in answers) < 1.0:
        context.warnings.append(_("no answer is worth 100%, so nobody can get full marks"))
    return ShortAnswer(answers=tuple(answers), **common)


def _parse_true_false(block: str, context: _Context, common: dict[str, Any]) -> TrueFalse:
    head, _sep, comment = block.partition("#")
    correct = _TRUE_FALSE[head.strip().upper()]
    # GIFT gives the feedback for a wrong response first, then the feedback for a right one.
    wrong_raw, _sep, right_raw = comment.partition("#")
    wrong, right = context.rich(wrong_raw), context.rich(right_raw)
    feedback_true, feedback_false = (right, wrong) if correct else (wrong, right)
    return TrueFalse(correct=correct, feedback_true=feedback_true, feedback_false=feedback_false, **common)


def _parse_matching(block: str, context: _Context, common: dict[str, Any]) -> Matching:
    pairs: list[MatchPair] = []
    for marker, raw in _items(block, "="):
        if not marker and not raw.strip():
            continue
        prompt_raw, arrow, answer_raw = raw.partition("->")
        if not arrow:
            raise _Skip(
                _("the matching pair '%(pair)s' has no '->' between question and answer", pair=_snippet(_restore(raw)))
            )
        answer = _restore(answer_raw.strip())
        if not answer:
            raise _Skip(_("the matching pair '%(pair)s' has nothing after '->'", pair=_snippet(_restore(raw))))
        pairs.append(MatchPair(prompt=context.rich(prompt_raw), answer=answer))
    real_pairs = sum(1 for pair in pairs if pair.prompt)
    if real_pairs < 2:
        raise _Skip(_("a matching question needs at least 2 pairs, but this one has %(count)s", count=real_pairs))
    return Matching(pairs=tuple(pairs), **common)


def _number(raw: str) -> float:
    raw = raw.strip()
    if not _NUMBER_RE.fullmatch(raw):
        if "," in raw:
            raise _Skip(
                _(
                    "'%(value)s' in a numerical answer is not a number (use a decimal point, not a comma)",
                    value=_restore(raw),
                )
            )
        raise _Skip(_("'%(value)s' in a numerical answer is not a number", value=_restore(raw)))
    return float(raw)


def _numerical_value(raw: str) -> tuple[float | None, float]:
    """`5`, `5:1` (answer and tolerance), `1..5` (a range, stored as midpoint and tolerance) or `*` (any answer)."""
    raw = raw.strip()
    if raw == "*":
        return None, 0.0
    if raw.find("..") > 0:
        low, high = (_number(part) for part in raw.split("..", 1))
        if low > high:
            raise _Skip(_("the range %(range)s has its lower end above its upper end", range=_restore(raw)))
        middle = (low + high) / 2
        return middle, high - middle
    if raw.find(":") > 0:
        value, tolerance = (_number(part) for part in raw.split(":", 1))
        if tolerance < 0:
            raise _Skip(_("the tolerance in %(answer)s is negative", answer=_restore(raw)))
        return value, tolerance
    return _number(raw), 0.0


def _parse_numerical(block: str, context: _Context, common: dict[str, Any]) -> Numerical:
    graded, has_other, other = block.lstrip()[1:].partition("~")
    answers: list[NumericalAnswer] = []
    for marker, raw in _items(graded, "="):
        if not marker and not raw.strip():
            continue
        weight, rest = context.weight(raw)
        number, _sep, feedback = rest.partition("#")
        value, tolerance = _numerical_value(number)
        fraction = 1.0 if weight is None else weight
        answers.append(
            NumericalAnswer(value=value, tolerance=tolerance, fraction=fraction, feedback=context.rich(feedback))
        )
    if not any(answer.value is not None for answer in answers):
        raise _Skip(_("a numerical question needs at least one number as its answer, but this one has none"))
    if has_other:
        head, _sep, feedback = other.partition("#")
        if head.strip() not in ("", "*"):
            raise _Skip(
                _(
                    "after '~' a numerical question expects only '#feedback', not '%(text)s'",
                    text=_snippet(_restore(head)),
                )
            )
        answers.append(NumericalAnswer(value=None, fraction=0.0, feedback=context.rich(feedback)))
    if max(answer.fraction for answer in answers) < 1.0:
        context.warnings.append(_("no answer is worth 100%, so nobody can get full marks"))
    return Numerical(answers=tuple(answers), **common)


def _parse_answer_block(block: str, context: _Context, common: dict[str, Any]) -> Question:
    """Infer the question type from the answer block, in the same order as Moodle, and build the question."""
    stripped = block.strip()
    if _CLOZE_RE.match(stripped):
        raise _Skip(_("embedded-answer (Cloze) questions such as {1:MULTICHOICE:...} are not supported"))
    if stripped.startswith(">"):
        raise _Skip(_("ordering questions ({>...}) are not supported"))
    general_at = block.rfind("####")
    if general_at >= 0:
        common["general_feedback"] = context.rich(block[general_at + 4 :])
        block = block[:general_at]
        stripped = block.strip()
    if not stripped:
        return Essay(**common)
    if stripped.startswith("#"):
        return _parse_numerical(stripped, context, common)
    if "~" in stripped:
        return _parse_choice(stripped, context, common)
    if "=" in stripped and "->" in stripped:
        return _parse_matching(stripped, context, common)
    if stripped.partition("#")[0].strip().upper() in _TRUE_FALSE:
        return _parse_true_false(stripped, context, common)
    return _parse_short_answer(stripped, context, common)


def _split_format(raw: str) -> tuple[TextFormat | None, str]:
    """Take a leading `[html]`, `[moodle]`, `[plain]` or `[markdown]` off a text; any other `[xyz]` stays text."""
    prefix = _FORMAT_RE.match(raw)
    if not prefix:
        return None, raw
    return cast(TextFormat, prefix.group(1)), raw[prefix.end() :]


def _parse_question(protected: str, context: _Context, common: dict[str, Any]) -> Question:
    """One question (escapes already protected, title already taken off): find its text and its answer block."""
    opening, closing = protected.find("{"), protected.find("}")
    block: str | None = None
    text_raw = protected
    if opening >= 0 or closing >= 0:
        if closing < 0:
            raise _Skip(_("brace error: there is a '{' but no closing '}' (write a literal brace as \\{)"))
        if opening < 0 or closing < opening:
            raise _Skip(
                _("brace error: there is a '}' without an opening '{' before it (write a literal brace as \\})")
            )
        block, after = protected[opening + 1 : closing], protected[closing + 1 :]
        if "{" in block:
            raise _Skip(_("brace error: a second '{' comes before the answer block is closed with '}'"))
        if "{" in after:
            raise _Skip(
                _("there is more than one {...} answer block; embedded-answer (Cloze) questions are not supported")
            )
        if "}" in after:
            raise _Skip(_("brace error: there is an extra '}' after the answer block (write a literal brace as \\})"))
        # Text after the block makes a "missing word" question: the block becomes a blank in the sentence.
        text_raw = protected[:opening] + (_MISSING_WORD + after if after.strip() else "")
    text_format, text_raw = _split_format(text_raw.strip())
    context.text_format = text_format or "moodle"
    common["text"] = _restore(text_raw.strip())
    common["text_format"] = context.text_format
    if block is None:
        if not common["text"]:
            raise _Skip(_("the question has a title but no text and no answer block"))
        return Description(**common)
    return _parse_answer_block(block, context, common)


def _read_block(block: _Block, category: tuple[str, ...]) -> tuple[Question | None, list[ImportIssue]]:
    source = "\n".join(block.lines)
    protected = _protect(source).strip()
    title = ""
    if protected.startswith("::"):
        end = protected.find("::", 2)
        if end < 0:
            issue = ImportIssue(message=_("the title is not closed with '::'"), line=block.line, title=_snippet(source))
            return None, [issue]
        title = _restore(protected[2:end]).strip()
        protected = protected[end + 2 :].strip()
    # Untitled questions are named in issues by the start of their text, as Moodle names them.
    label = title or _snippet(_restore(protected.partition("{")[0])) or _snippet(_restore(protected))
    idnumber, tags = _metadata(block.comments)
    common: dict[str, Any] = {"title": title, "category": category, "idnumber": idnumber, "tags": tags}
    context = _Context()
    try:
        question = _parse_question(protected, context, common)
    except _Skip as skip:
        return None, [ImportIssue(message=skip.message, line=block.line, title=label)]
    except ValidationError as error:
        problems = "; ".join(str(detail["msg"]) for detail in error.errors())
        message = _("the question is not valid: %(problems)s", problems=problems)
        return None, [ImportIssue(message=message, line=block.line, title=label)]
    warnings = list(context.warnings)
    if context.other_formats:
        others = ", ".join(f"[{name}]" for name in sorted(context.other_formats))
        warnings.append(
            _(
                "some answers or feedback are marked %(others)s but the question text is [%(format)s]; "
                "they were imported as [%(format)s]",
                others=others,
                format=context.text_format,
            )
        )
    if "@@PLUGINFILE@@" in source:
        warnings.append(_("the question refers to images or files (@@PLUGINFILE@@) that were not imported"))
    return question, [ImportIssue(message=text, line=block.line, title=label, skipped=False) for text in warnings]


def read_gift(text: str, *, translate_messages: bool = False) -> ImportReport:
    """Parse a GIFT file into questions, reporting every skipped question and every change made on import.

    Handles a UTF-8 byte order mark, Windows or old Mac line endings, `//` comments (with Moodle's
    `[id:...]` and `[tag:...]` markers), `$CATEGORY:` blocks and every GIFT question type Moodle
    imports. A broken question is skipped with an `ImportIssue` and the rest of the file still imports.
    `ImportReport.lines` holds the first line of each imported question's block.

    Raises `ParseError` only when the input is not text at all; an empty file gives an empty report.
    Messages are in English unless `translate_messages` asks for the current locale (the web importer does).
    """
    token = _translate_messages.set(translate_messages)
    try:
        return _read_gift(text)
    finally:
        _translate_messages.reset(token)


def _read_gift(text: str) -> ImportReport:
    if "\x00" in text:
        raise ParseError(_("the file contains NUL characters, so it is not a GIFT text file"))
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    questions: list[Question] = []
    lines: list[int] = []
    issues: list[ImportIssue] = []
    category: tuple[str, ...] = ()
    for block in _blocks(text):
        if block.lines[0].lstrip().startswith(_CATEGORY_MARK):
            category = _category_path(block.lines[0].lstrip()[len(_CATEGORY_MARK) :])
            if len(block.lines) == 1:
                continue
            # A question written straight under the category line, with no blank line between them.
            block = _Block(block.line_numbers[1], block.lines[1:], block.line_numbers[1:], block.comments)
        question, block_issues = _read_block(block, category)
        issues.extend(block_issues)
        if question is not None:
            questions.append(question)
            lines.append(block.line)
    return ImportReport(questions=tuple(questions), issues=tuple(issues), lines=tuple(lines))


# ---------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    """Moodle's exporter rule: escape `\\ ~ = # { } :` with a backslash and write newlines as `\\n`."""
    text = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def _rich(text: str, text_format: TextFormat, *, default: TextFormat) -> str:
    """An escaped text with a `[format]` prefix when it differs from the default or the text could be misread."""
    # A text starting like a format tag, a comment or a byte order mark would be misread without one.
    misread = _FORMAT_RE.match(text) or text.lstrip().startswith(("//", "\ufeff"))
    needs_prefix = text_format != default or misread
    return (f"[{text_format}]" if needs_prefix else "") + _escape(text)


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _percent(fraction: float) -> str:
    """A weight as `%n%` with up to 5 decimals, or with all the digits needed to read back the same fraction."""
    exact = Decimal(repr(fraction)).scaleb(2)
    rounded = exact.quantize(Decimal("0.00001"))
    percent = rounded if float(rounded / 100) == fraction else exact
    text = format(percent.normalize(), "f")
    return f"%{'0' if text == '-0' else text}%"


def _answer_line(marker: str, fraction: float, default: float, text: str, feedback: str, fmt: TextFormat) -> str:
    # An answer text that itself starts like a weight needs an explicit weight before it.
    weight = _percent(fraction) if fraction != default or _WEIGHT_RE.match(text) else ""
    line = f"{marker}{weight}{_rich(text, fmt, default=fmt)}"
    return line + (f"#{_rich(feedback, fmt, default=fmt)}" if feedback else "")


def _block(lines: list[str], general_feedback: str, fmt: TextFormat) -> str:
    if general_feedback:
        lines = [*lines, f"####{_rich(general_feedback, fmt, default=fmt)}"]
    return "{\n" + "".join(f"\t{line}\n" for line in lines) + "}"


def _inline_block(body: str, general_feedback: str, fmt: TextFormat) -> str:
    general = f"####{_rich(general_feedback, fmt, default=fmt)}" if general_feedback else ""
    return "{" + body + general + "}"


def _choice_block(question: SingleChoice | MultipleChoice) -> str:
    fmt = question.text_format
    right = -1
    if isinstance(question, SingleChoice):
        # One `=` (the first best answer) keeps it single-choice; every other answer is a `~`.
        best = max(answer.fraction for answer in question.answers)
        right = next(index for index, answer in enumerate(question.answers) if answer.fraction == best)
    lines = [
        _answer_line("=", answer.fraction, 1.0, answer.text, answer.feedback, fmt)
        if index == right
        else _answer_line("~", answer.fraction, 0.0, answer.text, answer.feedback, fmt)
        for index, answer in enumerate(question.answers)
    ]
    return _block(lines, question.general_feedback, fmt)


def _short_answer_block(question: ShortAnswer) -> str:
    fmt = question.text_format
    if any("->" in answer.text or "->" in answer.feedback for answer in question.answers):
        raise ValueError(f"short-answer question '{question.title or question.text}': GIFT cannot hold '->' in answers")
    lines = [_answer_line("=", answer.fraction, 1.0, answer.text, answer.feedback, fmt) for answer in question.answers]
    if len(lines) == 1:
        return _inline_block(lines[0], question.general_feedback, fmt)
    return _block(lines, question.general_feedback, fmt)


def _true_false_block(question: TrueFalse) -> str:
    fmt = question.text_format
    wrong, right = (
        (question.feedback_false, question.feedback_true)
        if question.correct
        else (question.feedback_true, question.feedback_false)
    )
    body = "TRUE" if question.correct else "FALSE"
    if wrong or right:
        body += f"#{_rich(wrong, fmt, default=fmt)}" if wrong else "#"
    if right:
        body += f"#{_rich(right, fmt, default=fmt)}"
    return _inline_block(body, question.general_feedback, fmt)


def _matching_block(question: Matching) -> str:
    fmt = question.text_format
    lines = []
    for pair in question.pairs:
        if "->" in pair.prompt:
            raise ValueError(
                f"matching question '{question.title or question.text}': GIFT cannot hold '->' in a prompt"
            )
        prompt = _rich(pair.prompt, fmt, default=fmt) if pair.prompt else ""  # empty: a distractor
        lines.append(f"={prompt} -> {_escape(pair.answer)}")
    return _block(lines, question.general_feedback, fmt)


def _numerical_block(question: Numerical) -> str:
    fmt = question.text_format
    lines = []
    last = len(question.answers) - 1
    for index, answer in enumerate(question.answers):
        feedback = f"#{_rich(answer.feedback, fmt, default=fmt)}" if answer.feedback else ""
        if answer.value is None and index == last and answer.fraction == 0 and index > 0:
            lines.append(f"~{feedback}")
            continue
        number = "*" if answer.value is None else _number_text(answer.value)
        if answer.value is not None and answer.tolerance:
            number += f":{_number_text(answer.tolerance)}"
        weight = _percent(answer.fraction) if answer.fraction != 1.0 else ""
        lines.append(f"={weight}{number}{feedback}")
    if len(lines) == 1 and lines[0].startswith("=") and not lines[0].startswith("=%"):
        return _inline_block("#" + lines[0][1:], question.general_feedback, fmt)
    return "{#\n" + _block(lines, question.general_feedback, fmt)[2:]


def _answer_block(question: Question) -> str | None:
    if isinstance(question, SingleChoice | MultipleChoice):
        return _choice_block(question)
    if isinstance(question, ShortAnswer):
        return _short_answer_block(question)
    if isinstance(question, TrueFalse):
        return _true_false_block(question)
    if isinstance(question, Matching):
        return _matching_block(question)
    if isinstance(question, Numerical):
        return _numerical_block(question)
    if isinstance(question, Essay):
        return _inline_block("", question.general_feedback, question.text_format)
    return None  # a description has no answer block


def _metadata_comment(question: Question) -> str | None:
    def marker(kind: str, value: str) -> str:
        clean = " ".join(value.split()).replace("\\", "\\\\").replace("]", "\\]")
        return f"[{kind}:{clean}]"

    markers = [marker("id", question.idnumber)] if question.idnumber else []
    markers += [marker("tag", tag) for tag in question.tags]
    return "// " + " ".join(markers) if markers else None


def _write_question(question: Question) -> str:
    block = _answer_block(question)
    title = f"::{_escape(question.title)}::" if question.title else ""
    fmt = question.text_format
    text = question.text
    if block is None:
        body = _rich(text, fmt, default="moodle")
    elif text.count(_MISSING_WORD) == 1 and text.split(_MISSING_WORD)[1].strip():
        # Put the answer block back where the blank was, as a missing-word question is written.
        before, after = text.split(_MISSING_WORD)
        body = f"{_rich(before, fmt, default='moodle')}{block}{_escape(after)}"
    else:
        body = _rich(text, fmt, default="moodle") + (" " if text else "") + block
    comment = _metadata_comment(question)
    return (f"{comment}\n" if comment else "") + title + body


def _category_block(category: tuple[str, ...]) -> str:
    def part(name: str) -> str:
        escaped = " ".join(name.split()).replace("/", "//")  # a category path is one line
        # Spaces (stripped on reading) keep a slash at either end of a name from joining the separator.
        return f" {escaped} " if name.startswith("/") or name.endswith("/") else escaped

    return _CATEGORY_MARK + " $course$/top" + "".join("/" + part(name) for name in category)


def write_gift(questions: Iterable[Question]) -> str:
    """Write questions as a GIFT file that `read_gift` (and Moodle) read back to the same questions.

    A `$CATEGORY:` block is written whenever the category changes, and each question gets its title,
    a `[format]` prefix when the text is not Moodle auto-format, and a `// [id:...] [tag:...]` comment
    when it has an idnumber or tags. The output is deterministic.

    Raises `ValueError` for the few texts GIFT cannot express: `->` in a matching prompt or in a
    short-answer answer or feedback (GIFT has no escape for it).
    """
    chunks: list[str] = []
    category: tuple[str, ...] = ()
    for question in questions:
        if question.category != category:
            chunks.append(_category_block(question.category))
            category = question.category
        chunks.append(_write_question(question))
    return "\n\n".join(chunks) + "\n" if chunks else ""
