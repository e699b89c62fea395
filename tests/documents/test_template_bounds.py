"""A template cannot burn the CPU or the memory: each attack is refused in words, within
bounded time, when proposed, when previewed and when printed."""

from __future__ import annotations

import time

import pytest

from app.models.crm import utcnow
from app.models.publishing import DocumentTemplate
from app.services.documents import templates
from app.services.documents.pdf import render_document
from app.services.errors import InvalidInput
from tests.documents.test_templates import MARK, english, fresh_templates, invoice  # noqa: F401

ATTACKS = {
    "nested range loops": (
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        "longer than 1 s",
    ),
    "deep nesting": ("{% for a in range(10) %}" * 12 + "x" + "{% endfor %}" * 12, "longer"),
    "a*10**8": ("{{ 'a' * 10**8 }}", "too much"),
    "huge join": ("{{ range(100000)|join('x' * 1000) }}", "too much"),
    "huge str.join": ("{{ ('x' * 100000).join(range(100000)|map('string')) }}", "too much"),
    "huge width": ("{{ 'a'.ljust(10**9) }}", "too much"),
    "huge output": ("{% for a in range(5000) %}{{ 'x' * 10000 }}{% endfor %}", "more than"),
}


def _pdf_body(attack: str) -> str:
    body = templates.active("pdf", "invoice", "ja").body
    return body.replace(MARK, MARK + attack)


def _timed(call):
    started = time.monotonic()
    with pytest.raises(InvalidInput) as refused:
        call()
    return refused.value, time.monotonic() - started


@pytest.mark.parametrize("name", list(ATTACKS))
def test_each_attack_is_refused_at_propose_preview_and_print(db_session, invoice, users, name):  # noqa: F811
    attack, words = ATTACKS[name]
    body = _pdf_body(attack)
    # Propose: the test render refuses the version, in words.
    refused, took = _timed(
        lambda: templates.propose("pdf", "invoice", "ja", body, user=users["accounting"])
    )
    assert words in str(refused) and "refused" in str(refused), str(refused)
    assert took < 5, took
    db_session.rollback()
    # Preview of a version that reached the database some other way (e.g. before the rule).
    version = DocumentTemplate(
        purpose="pdf",
        kind="invoice",
        language="ja",
        version=99,
        body=body,
        state="approved",
        decided_at=utcnow(),
    )
    refused, took = _timed(lambda: templates.preview_pdf(version))
    assert words in str(refused) and took < 5, (str(refused), took)
    # Print: the same version in use refuses the PDF instead of hanging the request.
    db_session.add(version)
    db_session.commit()
    refused, took = _timed(lambda: render_document(invoice, users["accounting"]))
    assert words in str(refused) and took < 5, (str(refused), took)


@pytest.mark.parametrize("name", ["nested range loops", "a*10**8", "huge join"])
def test_email_templates_are_bounded_too(db_session, users, fresh_templates, name):  # noqa: F811
    attack, words = ATTACKS[name]
    refused, took = _timed(
        lambda: templates.propose(
            "email", "invoice", "en", "Total {{ total }}" + attack, subject="S", user=users["admin"]
        )
    )
    assert words in str(refused) and took < 5, (str(refused), took)


def test_a_normal_template_still_renders(db_session, invoice, users):  # noqa: F811
    assert render_document(invoice, users["accounting"]).content.startswith(b"%PDF")


def test_a_huge_template_text_is_refused(db_session, users, fresh_templates):  # noqa: F811
    with pytest.raises(InvalidInput, match="longer than"):
        templates.propose("pdf", "invoice", "ja", "x" * 300_000, user=users["accounting"])
