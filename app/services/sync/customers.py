"""Companies (and their contacts) kept in step with a connection's provider (issue 16).

One run, per the connection's CustomerSyncSetting:

- provider → Renkei (extent ``from_provider`` or ``both``): each provider customer
  changed since the last pull (Zoho filters on last_modified_time; Money Forward and
  freee are listed whole) is matched to a company — by the link we hold, then our code,
  the registration number or email, the normalised name (app/services/sync/matching.py)
  — and creates or updates it. A match that is not our own record is a duplicate:
  ``skip`` leaves both as they are; ``overwrite`` merges every matching company into one
  (app/services/sync/merge.py: documents, deals, contacts and links kept) and links it.
- Renkei → provider (``to_provider`` or ``both``): each company of the saved filter that
  is new or changed since it was pushed is created or updated there. Before a create,
  the provider's list is searched the same way, so a record made by a run killed before
  it saved its link is adopted, never made twice; the link is committed right after each
  create.
- Both ways, a company changed on both sides since the last sync is a conflict: **the
  later change wins, each side judged by its own clock** — Renkei's ``updated_at`` of the
  company against the provider's updated-at of its record (freee gives a day only: its
  change counts as made at 00:00 JST that day). The losing side's values are kept as
  JSON in the run's history (SyncOutcome.loser, outcome ``conflict``).

Calls go through the connection's adapter (the shared rate limiter in its client); the
run's history is a SyncRun of kind ``customer_sync`` with one SyncOutcome per record.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.audit import AuditEntry
from app.models.crm import Company, Contact, utcnow
from app.models.customer_sync import MAX_CUSTOM_FIELDS, ContactLink, SyncOutcome
from app.models.sync import PartnerLink, SyncRun
from app.providers.errors import ProviderError, ValidationError
from app.services.errors import InvalidInput, RenkeiError
from app.services.sync.adapters import CustomerIds, ProviderAdapter, RemoteCustomer
from app.services.sync.matching import Index, Match
from app.services.sync.merge import merge_companies
from app.services.sync.record_commit import commit_record
from app.services.sync.scope import scoped

# Our company fields a provider record fills (RemoteCustomer has the same names, the
# registration number excepted).
FIELDS = ("name", "kana", "postal_code", "prefecture", "address1", "address2", "phone", "email")
SIDES = {"to_provider": ("to_provider", "both"), "from_provider": ("from_provider", "both")}


class CurrencyMismatch(RenkeiError):
    """The connection's base currency is not the provider's."""


def naive_utc(moment: datetime | None) -> datetime | None:
    """A provider's aware time as our naive UTC."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def check_currency(connection, adapter: ProviderAdapter) -> None:
    """Refuse, in words, a sync between books kept in different currencies."""
    theirs = adapter.base_currency()
    if theirs != connection.base_currency:
        raise CurrencyMismatch(
            _(
                "Customers are not synced: %(connection)s keeps its books in %(ours)s but "
                "the provider's organisation is in %(theirs)s. Make the base currencies "
                "the same first.",
                connection=connection.name,
                ours=connection.base_currency,
                theirs=theirs,
            )
        )


# -- field mapping --
def field_rows(setting) -> list[dict]:
    """The mapping rows ``{"ours": …, "theirs": …}`` (custom fields at most 10)."""
    rows = json.loads(setting.field_map or "[]")
    custom = [r for r in rows if r.get("ours", "").startswith("custom:")]
    if len(custom) > MAX_CUSTOM_FIELDS:
        raise InvalidInput(_("At most %(n)d custom fields can be mapped.", n=MAX_CUSTOM_FIELDS))
    return [r for r in rows if r.get("ours") and r.get("theirs")]


def our_value(company: Company, ours: str):
    if ours.startswith("custom:"):
        return json.loads(company.custom_fields or "{}").get(ours[7:])
    return getattr(company, ours, None)


def set_our_value(company: Company, ours: str, value) -> None:
    if ours.startswith("custom:"):
        values = json.loads(company.custom_fields or "{}")
        values[ours[7:]] = value
        company.custom_fields = json.dumps(values, ensure_ascii=False, sort_keys=True)
    elif hasattr(Company, ours) and ours not in ("id", "code"):
        setattr(company, ours, value)


def extra_of(company: Company, rows: list[dict]) -> dict:
    """The mapped fields in the provider's names, for a push."""
    return {
        r["theirs"]: our_value(company, r["ours"])
        for r in rows
        if our_value(company, r["ours"]) not in (None, "")
    }


class CustomerSync:
    """One customer-sync run of one connection (``run`` is started and committed)."""

    def __init__(self, run: SyncRun, setting, adapter: ProviderAdapter):
        self.run = run
        self.setting = setting
        self.connection = setting.connection
        self.adapter = adapter
        self.rows = field_rows(setting)
        self.handled: set[int] = set()  # companies settled by the pull
        self.won: set[int] = set()  # companies whose later change the push sends
        self._remote_index: Index | None = None

    # -- bookkeeping --
    def fingerprint(self, company: Company) -> str:
        """What we push for ``company`` (the invoice path's print when nothing is mapped)."""
        base = self.adapter.fingerprint(company)
        extra = extra_of(company, self.rows)
        if not extra:
            return base
        text = base + json.dumps(extra, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def outcome(self, kind, outcome, direction, record=None, remote=None, message=None, loser=None):
        """One line of the history; the run's counts follow (caller commits)."""
        label = getattr(record, "name", None) or getattr(remote, "name", None)
        db.session.add(
            SyncOutcome(
                run_id=self.run.id,
                record_kind=kind,
                record_id=getattr(record, "id", None),
                external_id=getattr(remote, "external_id", None),
                label=(label or "")[:200],
                direction=direction,
                outcome=outcome,
                message=message,
                loser=json.dumps(loser, ensure_ascii=False, default=str) if loser else None,
            )
        )
        self.audit(kind, record, remote, f"{direction} {outcome}", message)
        counter = {"conflict": "updated"}.get(outcome, outcome)
        setattr(self.run, counter, (getattr(self.run, counter) or 0) + 1)
        self.run.done = (self.run.done or 0) + 1

    def audit(self, kind: str, record, remote, what: str, message: str | None) -> None:
        """A line in the audit trail under the person who started the run (the
        scheduler: no person) — the record, what happened, the provider's id."""
        starter = self.run.started_by
        code = getattr(record, "code", None) or getattr(record, "name", None) or ""
        db.session.add(
            AuditEntry(
                at=utcnow(),
                user_id=getattr(starter, "id", None),
                username=getattr(starter, "username", None) or "system",
                action="customer_sync",
                field=f"{kind}:{code}"[:50],
                new_value=what,
                note=" ".join(
                    part
                    for part in (
                        self.connection.name,
                        getattr(remote, "external_id", None) or "",
                        message or "",
                    )
                    if part
                ),
            )
        )

    def links(self) -> dict[int, PartnerLink]:
        rows = db.session.query(PartnerLink).filter_by(connection_id=self.connection.id)
        return {link.company_id: link for link in rows}

    # -- run --
    def run_all(self, company_ids: list[int] | None = None) -> None:
        """Pull, then push, as the setting's extent says."""
        if self.setting.extent in SIDES["from_provider"] and company_ids is None:
            self.pull()
        if self.setting.extent in SIDES["to_provider"]:
            self.push(company_ids)

    # -- provider → Renkei --
    def pull(self) -> None:
        since = self.setting.pulled_until
        links_by_remote = {link.external_id: link for link in self.links().values()}
        companies = db.session.query(Company).all()
        ours = Index(companies, read=_company_key)
        newest = since
        for remote in self.adapter.iter_customers(since):
            stamp = naive_utc(remote.updated_at)
            if stamp and (newest is None or stamp > newest):
                newest = stamp
            if remote.individual and not self.setting.include_orphan_contacts:
                continue
            try:
                self._pull_one(remote, links_by_remote, ours)
            except ProviderError as exc:
                db.session.rollback()
                self.outcome("company", "failed", "from_provider", remote=remote, message=str(exc))
            commit_record()
        self.setting.pulled_until = newest
        db.session.commit()

    def pull_one(self, remote: RemoteCustomer) -> None:
        """One provider customer, as a pull would take it (a Retry of that record)."""
        links_by_remote = {link.external_id: link for link in self.links().values()}
        self._pull_one(
            remote, links_by_remote, Index(db.session.query(Company).all(), read=_company_key)
        )

    def _pull_one(self, remote: RemoteCustomer, links_by_remote, ours: Index) -> None:
        link = links_by_remote.get(remote.external_id)
        if link is not None:
            return self._pull_linked(remote, link)
        matches = ours.find(
            code=remote.code,
            registration_number=remote.registration_number,
            email=remote.email,
            name=remote.name,
        )
        linked = {link.company_id for link in links_by_remote.values()}
        matches = [m for m in matches if m.record.id not in linked]
        if matches and not _same(matches) and self.setting.duplicates == "skip":
            names = ", ".join(m.record.code for m in matches)
            message = _("Matches %(codes)s on %(key)s; skipped.", codes=names, key=matches[0].key)
            self.outcome("company", "skipped", "from_provider", matches[0].record, remote, message)
            return None
        if matches:
            keep = min((m.record for m in matches), key=lambda c: c.id)
            merged = [m.record.code for m in matches if m.record.id != keep.id]
            if merged:
                note = _("Merged %(codes)s into it.", codes=", ".join(merged))
                self.audit("company", keep, remote, "merge", note)
            merge_companies(keep, [m.record for m in matches])
            self.apply_remote(keep, remote)
            outcome = "updated"
        else:
            keep = Company(code=self._free_code(remote))
            self.apply_remote(keep, remote)
            db.session.add(keep)
            outcome = "created"
        db.session.flush()
        link = PartnerLink(
            connection_id=self.connection.id,
            company_id=keep.id,
            external_id=remote.external_id,
            department_id=remote.department_id,
            pushed_fingerprint=self.fingerprint(keep),
            provider_updated_at=naive_utc(remote.updated_at),
            last_pushed_at=utcnow(),
        )
        db.session.add(link)
        links_by_remote[remote.external_id] = link
        ours.add(keep)
        self.pull_persons(keep, remote)
        self.handled.add(keep.id)
        self.outcome("company", outcome, "from_provider", keep, remote)
        return None

    def _pull_linked(self, remote: RemoteCustomer, link: PartnerLink) -> None:
        company = link.company
        stamp = naive_utc(remote.updated_at)
        theirs_changed = link.provider_updated_at is None or (
            stamp is not None and stamp > link.provider_updated_at
        )
        if not theirs_changed and stamp is not None and stamp == link.provider_updated_at:
            # Providers stamp whole seconds: a change there in the same second as our
            # last push carries the same stamp. Differing values count as a change
            # (at worst a conflict row too many; never a change of theirs lost).
            ours = company_values(company)
            theirs_changed = any(
                value is not None and value != ours.get(name)
                for name, value in remote_values(remote).items()
                if name != "updated_at"
            )
        if link.provider_updated_at is None:
            # Linked by an invoice before: what is there is what we sent.
            link.provider_updated_at = stamp
            theirs_changed = False
        if not theirs_changed:
            return
        ours_changed = link.pushed_fingerprint != self.fingerprint(company)
        loser = None
        if ours_changed and self.setting.extent == "both":
            if company.updated_at and stamp and company.updated_at > stamp:
                # Ours is later: the push below sends it; theirs is kept in the history.
                self.outcome(
                    "company",
                    "conflict",
                    "to_provider",
                    company,
                    remote,
                    _("Changed on both sides; Renkei's change is later and wins."),
                    loser=remote_values(remote),
                )
                link.provider_updated_at = stamp
                self.won.add(company.id)
                return
            loser = company_values(company)
        before = (company_values(company), company.custom_fields)
        self.apply_remote(company, remote)
        if (company_values(company), company.custom_fields) == before and not remote.persons:
            link.provider_updated_at = stamp  # touched there, nothing of ours changed
            return
        db.session.flush()
        link.pushed_fingerprint = self.fingerprint(company)
        link.provider_updated_at = stamp
        link.department_id = link.department_id or remote.department_id
        self.pull_persons(company, remote)
        self.handled.add(company.id)
        if loser is not None:
            message = _("Changed on both sides; the provider's change is later and wins.")
            self.outcome("company", "conflict", "from_provider", company, remote, message, loser)
        else:
            self.outcome("company", "updated", "from_provider", company, remote)

    def apply_remote(self, company: Company, remote: RemoteCustomer) -> None:
        """The provider's values onto ``company`` (a field it lacks keeps ours)."""
        for name in FIELDS:
            value = getattr(remote, name)
            if value not in (None, ""):
                setattr(company, name, value)
        if remote.registration_number:
            company.invoice_registration_number = remote.registration_number
        for row in self.rows:
            value = self.adapter.read_field(remote, row["theirs"])
            if value not in (None, ""):
                set_our_value(company, row["ours"], value)

    def pull_persons(self, company: Company, remote: RemoteCustomer) -> None:
        """The provider's persons as the company's contacts (when contacts are synced).
        A person without company there (Zoho individual) becomes a company of its own
        name holding that one contact: a Renkei contact always belongs to a company."""
        if self.setting.modules == "companies":
            return
        if remote.individual and not remote.persons:
            if not company.contacts:
                db.session.add(
                    Contact(
                        company=company,
                        name=remote.name[:100] or "-",
                        email=remote.email,
                        phone=remote.phone,
                    )
                )
            return
        if not remote.persons:
            return
        links = {
            link.external_id: link
            for link in db.session.query(ContactLink).filter_by(connection_id=self.connection.id)
        }
        for person in remote.persons:
            link = links.get(person.external_id)
            contact = link.contact if link else None
            if contact is None:
                contact = Contact(company=company, name=person.name or "-")
                db.session.add(contact)
            for name in ("name", "department", "title", "email", "phone"):
                if getattr(person, name):
                    setattr(contact, name, getattr(person, name))
            db.session.flush()
            if link is None:
                db.session.add(
                    ContactLink(
                        connection_id=self.connection.id,
                        contact_id=contact.id,
                        external_id=person.external_id,
                        parent_external_id=remote.external_id,
                        pushed_fingerprint=contact_print(contact),
                    )
                )
            else:
                link.pushed_fingerprint = contact_print(contact)

    def _free_code(self, remote: RemoteCustomer) -> str:
        """Our code for a company taken in: the provider's code if free, else one made
        of the provider and its id."""
        wanted = (remote.code or "")[:30]
        if wanted and not db.session.query(Company.id).filter_by(code=wanted).first():
            return wanted
        return f"{self.adapter.provider[:2].upper()}-{remote.external_id}"[:30]

    # -- Renkei → provider --
    def remote_index(self) -> Index:
        """Every provider customer, read once a run and only when a create needs it."""
        if self._remote_index is None:
            self._remote_index = Index(self.adapter.iter_customers(None), read=_remote_key)
        return self._remote_index

    def push(self, company_ids: list[int] | None = None) -> None:
        links = self.links()
        query = scoped(Company, self.setting.company_filter)
        if self.setting.modules == "contacts":
            # Contacts only: a company goes as the holder of its contacts, no other.
            holders = self.contacts_in_scope().with_entities(Contact.company_id)
            query = query.filter(Company.id.in_(holders))
        if company_ids is not None:
            query = query.filter(Company.id.in_(company_ids))
        ids = [row.id for row in query.with_entities(Company.id).order_by(Company.id)]
        self.run.total = (self.run.total or 0) + len(ids)
        db.session.commit()
        for company_id in ids:
            if company_id in self.handled:
                continue
            company = db.session.get(Company, company_id)
            try:
                self._push_one(company, links.get(company_id))
            except ProviderError as exc:
                db.session.rollback()
                company = db.session.get(Company, company_id)
                self.outcome("company", "failed", "to_provider", company, message=str(exc))
            commit_record()

    def _push_one(self, company: Company, link: PartnerLink | None) -> None:
        print_ = self.fingerprint(company)
        extra = extra_of(company, self.rows)
        if link is not None:
            if link.pushed_fingerprint == print_ and not self._persons_changed(company):
                return
            if link.pushed_fingerprint != print_:
                ids = CustomerIds(link.external_id, link.department_id)
                stamp = self.adapter.push_customer(ids, company, extra)
                link.pushed_fingerprint = print_
                link.provider_updated_at = naive_utc(stamp) or link.provider_updated_at
                link.last_pushed_at = utcnow()
            self.push_persons(company, link)
            if company.id not in self.won:
                self.outcome("company", "updated", "to_provider", company, link)
            return
        if self.adapter.company_problems(company):
            problems = ", ".join(self.adapter.company_problems(company))
            message = _("The provider would refuse it: %(fields)s.", fields=problems)
            self.outcome("company", "failed", "to_provider", company, message=message)
            return
        matches = self.remote_index().find(
            code=company.code,
            registration_number=company.invoice_registration_number,
            email=company.email,
            name=company.name,
        )
        if self.adapter.unique_customer_names:  # a name is unique there (Zoho): it is ours
            matches = [
                Match(m.record, "code") if m.record.name == company.name[:200] else m
                for m in matches
            ]
        taken = {link.external_id for link in self.links().values()}
        matches = [m for m in matches if m.record.external_id not in taken]
        if matches and not _same(matches) and self.setting.duplicates == "skip":
            message = _(
                "The provider has %(name)s, matching on %(key)s; skipped.",
                name=matches[0].record.name,
                key=matches[0].key,
            )
            self.outcome("company", "skipped", "to_provider", company, matches[0].record, message)
            return
        if matches:
            remote = matches[0].record
            stamp = self.adapter.push_customer(remote.ids, company, extra)
            outcome = "updated"
        else:
            remote = self._create_or_adopt(company, extra)
            stamp = remote.updated_at
            outcome = "created"
        link = PartnerLink(
            connection_id=self.connection.id,
            company_id=company.id,
            external_id=remote.external_id,
            department_id=remote.department_id,
            pushed_fingerprint=print_,
            provider_updated_at=naive_utc(stamp),
            last_pushed_at=utcnow(),
        )
        db.session.add(link)
        try:
            db.session.commit()  # the link is saved the moment the provider holds the record
        except IntegrityError:  # another run linked this company just now: theirs stands
            db.session.rollback()
            company = db.session.get(Company, company.id)
            message = _("Linked by another run at the same time.")
            self.outcome("company", "skipped", "to_provider", company, remote, message)
            return
        self.push_persons(company, link)
        self.outcome("company", outcome, "to_provider", company, remote)

    def contacts_in_scope(self):
        """The contacts the saved contact filter chooses (all without one)."""
        return scoped(Contact, self.setting.contact_filter)

    def _scoped_contacts(self, company: Company) -> list[Contact]:
        if not self.setting.contact_filter:
            return list(company.contacts)
        chosen = {
            row.id
            for row in self.contacts_in_scope()
            .filter(Contact.company_id == company.id)
            .with_entities(Contact.id)
        }
        return [c for c in company.contacts if c.id in chosen]

    def _create_or_adopt(self, company: Company, extra: dict) -> RemoteCustomer:
        """Create ``company`` there; when the provider refuses because another run made
        it meanwhile (same code or name), read the list again and adopt that record."""
        try:
            remote = self.adapter.create_customer_from(company, extra)
        except ValidationError:
            self._remote_index = None
            found = [
                m.record
                for m in self.remote_index().find(code=company.code, name=company.name)
                if m.same or m.record.name == company.name
            ]
            if not found:
                raise
            return found[0]
        self.remote_index().add(remote)
        return remote

    def _persons_changed(self, company: Company) -> bool:
        if self.setting.modules == "companies" or not self.adapter.supports_persons:
            return False
        links = self._contact_links(company)
        return any(
            links.get(c.id) is None or links[c.id].pushed_fingerprint != contact_print(c)
            for c in self._scoped_contacts(company)
        )

    def _contact_links(self, company: Company) -> dict[int, ContactLink]:
        ids = [c.id for c in company.contacts]
        if not ids:
            return {}
        rows = db.session.query(ContactLink).filter(
            ContactLink.connection_id == self.connection.id, ContactLink.contact_id.in_(ids)
        )
        return {link.contact_id: link for link in rows}

    def push_persons(self, company: Company, link: PartnerLink) -> None:
        """The company's contacts as the provider's persons (when contacts are synced)."""
        if self.setting.modules == "companies" or not self.adapter.supports_persons:
            return
        links = self._contact_links(company)
        ids = CustomerIds(link.external_id, link.department_id)
        for contact in self._scoped_contacts(company):
            print_ = contact_print(contact)
            contact_link = links.get(contact.id)
            if contact_link is not None and contact_link.pushed_fingerprint == print_:
                continue
            person_id = self.adapter.push_person(
                ids, contact_link.external_id if contact_link else None, contact
            )
            outcome = "updated" if contact_link else "created"
            if contact_link is None:
                contact_link = ContactLink(
                    connection_id=self.connection.id,
                    contact_id=contact.id,
                    external_id=str(person_id),
                    parent_external_id=link.external_id,
                )
                db.session.add(contact_link)
            contact_link.pushed_fingerprint = print_
            contact_link.last_pushed_at = utcnow()
            db.session.commit()
            self.outcome("contact", outcome, "to_provider", contact, contact_link)


def _same(matches: list[Match]) -> bool:
    return any(m.same for m in matches)


def _company_key(company: Company, key: str):
    if key == "registration_number":
        return company.invoice_registration_number
    return getattr(company, key, None)


def _remote_key(remote: RemoteCustomer, key: str):
    return getattr(remote, key, None)


def contact_print(contact: Contact) -> str:
    data = [contact.name, contact.department, contact.title, contact.email, contact.phone]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


def company_values(company: Company) -> dict:
    return {name: getattr(company, name) for name in ("code", *FIELDS)}


def remote_values(remote: RemoteCustomer) -> dict:
    values = {name: getattr(remote, name) for name in ("code", *FIELDS)}
    return {**values, "updated_at": remote.updated_at}
