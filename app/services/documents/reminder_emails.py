"""The default payment reminder emails (version 1 of the "reminder" templates), and the
sample values a proposed reminder version is test-rendered with.

One text per language serves every step: ``days`` is the step relative to the due date
(negative before it), ``days_overdue`` the days past it (0 before and on the day).
"""

from __future__ import annotations

REMINDER_KIND = "invoice"  # reminders are about invoices only

DEFAULT_REMINDERS = {
    "ja": (
        "{% if days < 0 %}【お支払期限のご案内】{% elif days == 0 %}【本日お支払期限】"
        "{% else %}【お支払いのお願い】{% endif %}{{ number }}（{{ issuer_name }}）",
        "{{ recipient_name }} 御中\n\n"
        "いつもお世話になっております。{{ issuer_name }}でございます。\n"
        "{% if days < 0 %}請求書（{{ number }}）のお支払期限は{{ due_date }}です。\n"
        "{% elif days == 0 %}請求書（{{ number }}）のお支払期限は本日（{{ due_date }}）です。\n"
        "{% else %}請求書（{{ number }}）のお支払期限（{{ due_date }}）を"
        "{{ days_overdue }}日過ぎておりますが、ご入金を確認できておりません。\n{% endif %}"
        "\n未払残高：{{ balance }}\n\n"
        "請求書のPDFを添付いたします。既にお手続きいただいている場合は、"
        "行き違いのご容赦をお願い申し上げます。\n"
        "ご不明な点がございましたら、本メールにご返信ください。\n\n"
        "{{ issuer_name }}\n",
    ),
    "en": (
        "{% if days < 0 %}Payment due soon{% elif days == 0 %}Payment due today"
        "{% else %}Payment overdue{% endif %}: invoice {{ number }} from {{ issuer_name }}",
        "Dear {{ recipient_name }},\n\n"
        "{% if days < 0 %}This is a friendly reminder that invoice {{ number }} is due on "
        "{{ due_date }}.\n"
        "{% elif days == 0 %}Invoice {{ number }} is due today ({{ due_date }}).\n"
        "{% else %}Invoice {{ number }} was due on {{ due_date }}, {{ days_overdue }} days ago, "
        "and we have not yet received your payment.\n{% endif %}"
        "\nOpen balance: {{ balance }}\n\n"
        "The invoice is attached as a PDF. If you have already paid, please disregard "
        "this message.\n\nKind regards,\n{{ issuer_name }}\n",
    ),
}

SAMPLE_REMINDER_CONTEXT = {
    "title": "請求書",
    "number": "INV-000042",
    "recipient_name": "株式会社サンプル",
    "total": "￥186,562",
    "balance": "￥86,562",
    "due_date": "2026-12-31",
    "issue_date": "2026-11-22",
    "issuer_name": "株式会社レンケイ商事",
    "days": 7,
    "days_overdue": 7,
}
