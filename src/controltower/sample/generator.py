"""Deterministic generator of a realistic workspace bundle for a fictional enterprise-AI company.

The company sells an AI platform and ships it through Forward Deployed Engineers (FDEs). The
bundle follows the import contract of the product specification: a folder of UTF-8 CSV files
(header row, ``;`` inside list cells, ISO dates) plus a ``workspace.toml`` holding the planning
periods.

The evidence is built around about two dozen recurring *concerns* (platform patterns such as
SCIM provisioning or PII redaction), each with a breadth profile that later stages have to
recover: ``broad`` (many accounts, steady, heavy bespoke FDE work), ``growing``, ``moderate``,
``single-account`` (a customization trap), ``emerging`` (only in the last weeks, but loud),
``fading``, ``forbidden`` (blocked by a guardrail) and ``niche``. The concern of a signal is
never written to the bundle; with ``write_truth=True`` it goes to a hidden ``.truth`` folder.

Signals are generated day by day and written row by row, so a million of them run in flat
memory. Everything is drawn from seeded generators: the same arguments give byte-identical
files.
"""

from __future__ import annotations

import bisect
import csv
import functools
import math
import random
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np

from controltower.errors import InputError

__all__ = ["TRUTH_DIR", "SampleSummary", "write_sample_bundle"]

TRUTH_DIR = ".truth"
"""Hidden sub-folder of the bundle that receives the ground truth (``write_truth=True``)."""


@dataclass(frozen=True)
class SampleSummary:
    """What :func:`write_sample_bundle` wrote.

    Attributes:
        path: The bundle folder.
        files: CSV file name -> data rows written (header excluded), in contract order.
        truth_path: The folder holding the ground-truth files, or None when not written.
    """

    path: Path
    files: dict[str, int]
    truth_path: Path | None = None


# --------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------

ACCOUNT_COLUMNS = (
    "account_id",
    "name",
    "segment",
    "industry",
    "tier",
    "arr",
    "region",
    "renewal_date",
    "health",
)
SIGNAL_COLUMNS = (
    "signal_id",
    "date",
    "source",
    "text",
    "account_id",
    "deployment_id",
    "author_role",
    "kind",
    "urgency",
    "phase",
)
DEPLOYMENT_COLUMNS = (
    "deployment_id",
    "account_id",
    "phase",
    "started",
    "fde_hours",
    "ended",
    "status",
)
CUSTOM_WORK_COLUMNS = (
    "work_id",
    "account_id",
    "date",
    "description",
    "fde_hours",
    "deployment_id",
    "component",
)
CAPABILITY_COLUMNS = (
    "capability_id",
    "name",
    "description",
    "team",
    "effort_weeks",
    "effort_low",
    "effort_high",
    "kind",
    "themes",
    "depends_on",
    "excludes",
    "must",
    "addresses",
    "shipped",
)
TEAM_COLUMNS = ("team", "period", "capacity_weeks")
GUARDRAIL_COLUMNS = ("guardrail_id", "rule", "severity", "owner_role", "applies_to", "keywords")
MODEL_CONSTRAINT_COLUMNS = ("capability_id", "requirement", "feasibility", "confidence", "note")
THEME_COLUMNS = ("theme", "weight", "description")
STANCE_COLUMNS = ("role", "capability_id", "stance", "rationale", "author")
USAGE_COLUMNS = ("date", "account_id", "capability_id", "metric", "value")

SIGNAL_TRUTH_COLUMNS = ("signal_id", "concern", "secondary", "duplicate_of")
WORK_TRUTH_COLUMNS = ("work_id", "concern")
CONCERN_TRUTH_COLUMNS = ("concern", "profile", "label", "anchor_account")
CAPABILITY_TRUTH_COLUMNS = ("capability_id", "concerns")

NOISE = "noise"
"""The truth label of signals and custom work that belong to no concern."""

# --------------------------------------------------------------------------------------------
# Text corpora: signal phrasings per concern and voice, custom-work descriptions per concern.
# Format: "== key" starts a section, "tag: text" (or "- text") an entry, an indented line
# continues the entry above. Voices: "they" (someone at our company writes about the
# customer), "we" (the customer writes), "any" (a neutral problem statement), "also" (a short
# second mention inside a note about something else). Slots in braces are filled per account.
# --------------------------------------------------------------------------------------------

_SIGNAL_CORPUS = """
== sso-scim
any: offboarding gap - leavers keep access
we: Where do we configure SCIM? The {idp} admin guide mentions a token and base URL but we
  cannot find either in your admin console.
they: {acct} wants users provisioned automatically from {idp} groups. Right now their IT team
  creates every account by hand and offboarding takes {days} days.
they: Blocker for the {dept} rollout: no SCIM. They will not go past the {n}-user pilot until
  joiners and leavers sync from {idp}.
they: security review flagged that deprovisioned employees keep access to the assistant until
  someone deletes them manually
they: IAM team asked again about just-in-time provisioning plus group claims in the SAML
  assertion; they would accept JIT if SCIM is far out. Their identity architect walked us
  through {n} {idp} groups that should map to roles, and said the current manual process
  will not survive the planned expansion to {users} seats.
any: need SCIM user provisioning from {idp}
any: SSO works but group-to-role mapping doesn't: everyone lands as a basic user and admins fix
  roles one by one
any: Users removed in {idp} still show as active in the workspace {days} days later.
any: Login loop after SSO for users created before the {idp} migration; accounts need relinking
we: We need SCIM 2.0 support so {idp} can push users and groups. Our policy forbids manual
  account creation for any SaaS tool with more than {n} users.
we: can you support automatic user provisioning? we have {users} employees and HR changes every
  week
we: Please add SCIM. Our identity team refuses to maintain a CSV import for {users} seats.
also: also asked when SCIM provisioning from {idp} lands
also: plus the usual user provisioning pain (no SCIM)

== pii-redaction
any: SSNs visible in prompt traces again
they: Privacy office at {acct} wants a per-field redaction policy they can configure
  themselves (mask account numbers, keep product codes) instead of asking us for regex changes.
they: {acct} legal will not let raw {dept} transcripts reach the model. They need names,
  account numbers and SSNs masked before the prompt is built.
they: DPO asked for proof that no personal data leaves their tenant in prompts. We have nothing
  to show except our own regex hack.
they: They want reversible tokenization: swap PII for placeholders before inference, put the
  real values back in the answer shown to the agent.
they: FDE built a spaCy plus regex pre-processor for PII at the third customer in a row now.
  Same ask every time from the privacy office, same objections in the DPIA, same two weeks
  lost before go-live while legal reviews our homemade patterns. Somebody should own this
  centrally instead of every deployment rediscovering which ID formats exist in {lang}.
any: need PII masking before the LLM call
any: Prompt logs contain full customer names, emails and phone numbers. This blocks the
  production go-live.
any: Redaction misses non-English names ({lang}) and IBANs; about {pct}% of sampled prompts
  still had PII.
any: PHI leaking into prompt traces, need de-identification before the model sees patient notes
we: We must redact personal data (names, addresses, national IDs) before any text is sent to
  the model. Is there a built-in filter or do we build our own?
we: our compliance team found credit card numbers in the conversation history. how do we stop
  these from being sent to the llm in the first place
we: GDPR question: can the assistant scrub personal identifiers before processing? Our works
  council has to sign off.
also: and again the PII masking question
also: they also need personal data scrubbed before prompts

== rag-eval
any: how good are the answers?? no metrics at all
they: Model upgrade rollout at {acct} postponed: nobody can show the new version answers
  their {dept} questions at least as well as the old one.
they: {acct} asks how we measure answer quality. They want a scorecard before and after every
  prompt or index change, not anecdotes from {n} power users.
they: No way to tell whether the new chunking made answers better or worse. FDE hand-labelled
  {n} questions in a spreadsheet to compare.
they: Built a little LLM-as-judge notebook for them again. Every deployment ends up with its own
  eval script and none of them agree.
they: Their data science lead wants offline evals wired into CI so that a prompt PR fails if
  faithfulness drops more than {pct}%. They already run unit tests for everything else and
  cannot explain to their change board why the AI part ships on gut feeling. Promised to
  come back with options after our sprint review.
any: need a regression test set for RAG answers
any: Answer quality dropped after the model upgrade; customer only noticed a week later through
  complaints. We need eval runs before rollout.
any: Retrieval recall on their {docstore} corpus unknown: no labelled queries, no benchmark, no
  dashboard.
any: eval harness!!! we keep guessing whether answers improved
we: How do we know the assistant is accurate? Our leadership wants a number (precision,
  groundedness, anything) before we expand to {dept}.
we: We changed the embedding settings and nobody can say if retrieval improved. Is there a way
  to run a golden question set automatically?
we: please give us an evaluation report we can show the audit committee: how often is the
  answer right, how often is it grounded in our documents
also: also asked for a way to score answer quality
also: plus no eval set to check retrieval changes

== doc-connectors
any: Confluence page attachments never get indexed
they: Half the FDE week at {acct} went into keeping their {docstore} crawler alive after the
  tenant migration. Throttling, renamed sites, broken delta links.
they: {acct} keeps its policies in {docstore}; they want the assistant to index it directly
  instead of the nightly export we scripted.
they: Connector to {docstore} is the first thing every {dept} team asks about. We wrote another
  sync job with delta tokens and throttling retries.
they: Customer asked for Google Drive and SharePoint in the same workspace. Another custom
  crawler from us, plus permissions mapping.
they: knowledge base lives in {docstore} + file shares. they asked for incremental sync and for
  deletions to propagate (deleted docs still show up in answers). Their records manager was
  pretty blunt: if a retired policy can resurface in an answer, the whole {dept} rollout
  stops. Need a proper answer on sync latency and deletes before the steering committee.
any: {docstore} sync fails on sites with more than {k}k documents (throttled, 429s)
any: Indexer misses attachments and page comments in Confluence; users say answers are out of
  date.
any: Nightly {docstore} export job broke again after a site restructure; {k}k docs missing from
  the index.
we: Can you connect to our Confluence spaces and SharePoint sites without us exporting PDFs every
  week?
we: we need the assistant to see the same {docstore} pages our staff see, updated within an hour
we: Is there an out-of-the-box SharePoint connector? Our IT department will not approve a custom
  script running on our tenant.
also: also the {docstore} connector again
also: and they want direct {docstore} indexing

== audit-export
any: need prompt/response logs in our SIEM
they: Records retention team wants chat transcripts kept {n} years and exportable on legal
  hold; we only keep 90 days and have no export.
they: {acct} compliance needs every prompt, answer and admin action exported to their SIEM.
  Today we hand them a monthly CSV pulled from the database.
they: Internal audit asked who changed the system prompt on the {dept} assistant and when. We
  could not answer without digging through database backups.
they: Wrote another log shipper to push conversation records into their {cloud} storage bucket
  for the records team.
they: CISO wants model inputs and outputs in their Sentinel workspace, same schema as their other
  apps. Second bank this quarter asking exactly this.
any: audit log export to SIEM (Splunk / Sentinel) with user, timestamp, prompt, response
any: Admin actions (role changes, connector edits) missing from the activity log; blocks
  compliance sign-off.
any: Compliance review paused: no retention policy or tamper-evident export for chat transcripts.
we: Our regulator expects a complete audit trail of AI interactions retained for {n} years. How
  do we export logs into Splunk?
we: we need immutable logs of who asked what. our SOX auditors arrive next quarter
we: Please provide an API to pull audit events incrementally; the UI download times out beyond
  {k}k rows.
also: also need the audit log export
also: plus an audit trail for compliance

== citations
we: Please show sources under every answer!! Our lawyers want to click through.
they: Users at {acct} caught the assistant inventing a policy clause. They now want every answer
  to cite the source paragraph or say it does not know.
they: They asked for a strict mode: answer only when retrieval confidence is high, otherwise
  refuse and route to a human.
they: FDE added a post-check that verifies each sentence against retrieved chunks; it cut the
  obvious fabrications but adds {ms} ms.
they: Long session with their {dept} leads. The trust problem is bigger than accuracy numbers:
  one made-up figure in a board pack last month and now every answer gets double-checked by
  hand, which kills the time savings. They will only widen access if answers carry clickable
  sources and the bot admits when the documents do not cover a question.
any: hallucinated answer about the refund policy sent to a customer; no citation attached
any: Citations point to the wrong page (or a doc that does not contain the quote) in about
  {pct}% of checked answers.
any: Model confidently answers questions outside the knowledge base instead of saying it does
  not know.
any: Made-up numbers in the quarterly summary for {dept}; nobody could trace where they came
  from.
we: The bot made up a contract term in front of our {dept} director. We need answers with links
  to the source documents, otherwise we cannot trust it.
we: can answers show which document they came from? people dont believe it otherwise
we: Our legal team requires source attribution for any generated answer used with clients.
also: and they also want citations on every answer
also: also flagged another hallucination

== prompt-versioning
any: who changed the system prompt?? bot broke overnight
they: {acct} AI governance board asked for an approval workflow on prompt edits plus a record
  of which prompt version produced each answer.
they: {acct} changed the system prompt directly in production and broke the {dept} flow for a
  day. They want versions, diffs and rollback.
they: Each deployment keeps prompts somewhere else: a YAML in git, a config table, an env var.
  FDE asked for one registry with versions per environment.
they: Customer wants prompt templates promoted dev, staging, prod with sign-off from their AI
  governance board.
they: Built a small prompt store with semantic version tags for them; same as the one we did at
  two other accounts
any: no history of prompt changes, cannot roll back
any: Staging and prod prompts drifted; nobody knows which template the {dept} bot is running.
any: Rolled back a bad prompt by copy-pasting from Slack history. need real versioning
we: How can we manage prompts like code? We need review, approvals and the ability to go back
  to last week's version.
we: we want to test a new prompt on {pct}% of users before switching everyone over
we: Is there a changelog of prompt edits? Our admins overwrote each other's work twice this
  month.
also: plus prompt versioning and rollback
also: also asked about managing prompt versions

== cost-dashboards
any: no idea what each team spends on tokens
they: Their FinOps lead asked for per-workspace budgets with hard caps; they got burned by a
  {pct}% overrun last month.
they: {acct} finance wants to see LLM spend per business unit. Their bill jumped {pct}% and
  nobody could tell which team caused it.
they: Chargeback is a hard requirement for their shared-services model: {n} internal teams, one
  invoice, usage must be split by cost center.
they: FDE exported usage logs to their BI tool and built a cost-per-conversation report by hand.
  Third time this quarter.
they: Procurement asks for unit economics (cost per resolved ticket) before renewal; we have no
  per-tenant view to give them.
any: cost breakdown per tenant and per workspace
any: Spend alert needed: one runaway agent loop burned a month of budget in {days} days.
any: Usage page only shows total tokens, no split by model, project or user.
we: Can we get a dashboard showing token usage and cost per department and per use case?
we: our cfo asks every month what the assistant costs per user and we cannot answer
we: We need budget limits and a cost forecast per team before we roll out to another {users}
  users.
also: also want cost broken down per team
also: and the per-tenant spend dashboard again

== agent-latency
they: Users at {acct} abandon the {dept} agent because it thinks for 30+ seconds. Most of the
  time goes into sequential tool calls to {crm} and {warehouse}.
they: Profiling shows tool calls run one after another even when independent. FDE hacked a
  parallel fan-out into their orchestrator.
they: They want streaming of partial answers while tools are still running, otherwise the UI
  looks frozen.
any: Agent takes {ms} ms per tool call; a five step workflow takes almost a minute
any: p95 latency of the tool-calling chain above SLA ({ms} ms vs 3000 ms target)
any: timeouts on agent tool calls to {warehouse} during peak hours
any: Latency spikes when the agent retries a failed tool call three times with backoff; the
  whole turn hangs.
we: the assistant is way too slow when it has to look things up in our systems. our agents on
  the phone cant wait that long
we: Response times got worse after we added the {ticketing} lookup tool. Can tool calls run in
  parallel or be cached?
we: Our SLA to business users is 5 seconds. The agent currently needs {ms} ms on average. What
  can we tune?
also: also complained about slow agent tool calls
also: and latency again on tool calls

== hitl-approval
they: {acct} will only let the agent send emails or update {crm} records if a human approves
  each action first.
they: Built a Slack approve/reject step for refunds above {n}00 dollars; customer wants the same
  pattern for {dept}.
they: Ask from their ops lead: a queue of pending agent actions with approve, edit and reject,
  and an audit trail of who approved what.
any: human approval gate needed for agent write actions
any: Agent issued a credit without sign-off; customer now requires four-eyes approval on all
  monetary actions.
any: No way to pause an agent workflow while it waits for manager approval; FDE used a polling
  hack.
we: We need an approval step before the agent changes anything in {ticketing}. A supervisor
  should be able to approve or reject.
we: can the agent draft the action and wait for a person to confirm? risk team says no fully
  automatic changes
we: For regulatory reasons a qualified person has to review every recommendation before it
  reaches a customer.
also: plus they want a human approval step on agent actions
also: also asked for approval before the agent writes

== multilingual
they: {acct} has documents in {lang} and English; retrieval only finds English content when
  queries are in English.
they: Expansion to their {lang}-speaking offices blocked: answers mix languages and ignore local
  terminology.
they: FDE added a translate-then-retrieve step for {lang} queries; accuracy ok but latency
  doubled.
any: poor answer quality in {lang} compared to English
any: Cross-lingual search not working: a {lang} question should find the English policy
  document.
any: Chunking breaks on {lang} compound words; recall much lower than English.
we: Our {dept} staff work in {lang}. The assistant answers in English even when asked in {lang}.
we: Do you support {lang} and {lang2}? We need the same quality in all countries where we
  operate.
we: UI and answers need to be available in {lang} before the works council approves the
  rollout.
also: also need {lang} support
also: plus answers in {lang}

== doc-ocr
they: Half of {acct}'s contract archive is scanned paper. The assistant cannot read any of it,
  so answers miss the older agreements.
they: FDE set up Tesseract in a side container to OCR {k}k scanned invoices before indexing.
  Tables come out garbled.
they: Customer wants key fields (policy number, date, amount) extracted from scanned claims
  forms, not just the full text.
any: scanned PDFs come through as empty text, nothing indexed
any: OCR quality poor on faxed {dept} forms; handwritten fields lost entirely.
any: Image-only PDFs skipped silently by the ingestion pipeline; no warning in the UI.
we: Many of our documents are scans or photos of forms. Can the system read them?
we: we upload pdf scans and the bot says it cannot find anything in them
we: Is OCR included? A lot of our legacy archive is microfilm scans and TIFF files.
also: and scanned PDFs are not searchable
also: also the OCR gap on scanned docs

== rate-limits
they: {acct} hit the tenant rate limit during a batch job and the interactive assistant went
  down for everyone.
they: FDE wrote a token-bucket queue in front of our API for them because bursts from
  {ticketing} webhooks trip the limits.
they: They want visibility into how close each workspace is to its quota, plus alerts at
  {pct}%.
any: 429 Too Many Requests during the morning peak; {n} users blocked
any: need per-team quotas so one department cannot eat the whole token budget
any: Rate limit errors are not surfaced to users; requests just hang and then fail.
we: We need separate quotas for our batch processing and our live users. Right now one starves
  the other.
we: Can you raise our rate limit or let us reserve capacity? We are launching to {users} users
  next month.
we: our nightly summarization job failed again because of throttling. please advise on limits
also: plus the rate-limit errors at peak
also: also want per-team quotas

== salesforce
they: {acct} wants the agent to read and update Salesforce cases and opportunities. We connected
  it with a custom Apex endpoint.
they: Sales ops asked to embed the assistant in the Salesforce console with the context of the
  open record.
they: Built a Salesforce to index sync for knowledge articles again (third mid-market account).
  Same field mapping each time.
any: Salesforce connector needed: read accounts, contacts, cases; write case comments
any: Salesforce OAuth token expires and the integration silently stops syncing.
any: SOQL queries from the agent hit API limits in their Salesforce org
we: Do you have a native Salesforce integration? Our reps live in Salesforce and will not switch
  tabs.
we: We need the assistant to log call summaries as Salesforce activities automatically.
we: can it pull the opportunity history from salesforce before my customer meeting
also: also asked for the Salesforce integration
also: plus Salesforce sync

== vpc-deploy
they: {acct} security will only run the platform inside their own {cloud} VPC. Multi-tenant
  SaaS is a non-starter for their {dept} data.
they: Deal blocked at security review: they require customer-managed keys and private
  networking, ideally an on-prem install.
they: FDE spent {n} days adapting the helm charts to their air-gapped Kubernetes cluster.
they: Upgrade of their self-managed install took a week of FDE time; versions drifted from our
  SaaS build.
any: on-prem or private VPC deployment required by infosec
any: Private link or VPC peering requested for the model endpoint; public internet egress not
  allowed.
we: We need a deployment option in our own cloud account, with no data leaving our network.
we: Can you deploy in our data center? Our regulator does not allow customer data in public
  SaaS.
we: is there a self-hosted version? data residency is mandatory for us
also: plus the usual ask for a VPC deployment
also: also raised on-prem deployment again

== sap-workflow
they: {acct} wants the agent to create purchase requisitions in SAP S/4HANA from email
  requests, using their custom Z-transactions.
they: Spent the week mapping their 40+ custom SAP approval rules into the agent. Each plant has
  its own release strategy.
they: Their procurement team now asks for goods-receipt matching against SAP invoices as well.
  Scope keeps growing.
they: Another SAP change request: support their IDoc-based vendor onboarding flow inside the
  agent.
they: FDE still maintaining a fork of the agent workflow just for their SAP Ariba plus S/4
  landscape. Every release of ours means a day of rebasing, re-testing {n} approval paths and
  explaining to their procurement director why the demo from last month behaves differently.
  Nobody else has asked for any of this.
any: SAP BAPI call for PO release failing with custom field ZZ_COSTOBJ missing
any: S/4 posting errors when the vendor master has blocked status; agent retries forever
any: Ariba catalog punch-out not reachable from the agent sandbox; procurement demo failed
we: The agent must follow our SAP procurement release strategy exactly, including the
  exceptions for plant {n}.
we: We need the assistant to understand our SAP material groups and route requisitions to the
  right buyer.
also: also the SAP procurement changes for them

== mainframe-cobol
they: {acct} wants the assistant to answer questions from their mainframe batch reports
  (fixed-width files, COBOL copybooks).
they: Wrote a parser for {n} more copybook layouts this week. Their core system on z/OS has
  hundreds of them.
they: They asked us to screen-scrape 3270 terminals because there is no API. FDE time is
  exploding.
they: Mainframe team will only expose data through MQ messages; built another bridge for them.
any: EBCDIC decoding errors on the nightly extract from the mainframe; packed decimal fields
  wrong
any: JCL batch output format changed; assistant answers show garbage amounts
any: CICS transaction lookup times out through the terminal emulator bridge
we: Our core system runs on the mainframe. The agent needs to read CICS screens for account
  status.
we: We need to integrate the mainframe data nightly; the copybooks are attached. Can your team
  handle COMP-3 fields?
also: plus the mainframe extract issues

== mcp-tools
they: {acct} platform team standardized on MCP servers internally and asks if our agents can
  call any MCP tool without custom glue.
they: Three customers this month asked for MCP. They do not want to wait for us to build each
  connector; they expose the tools themselves.
they: Their architects want to register remote MCP servers with OAuth per user, and an
  allowlist of tools.
they: FDE prototyped an MCP-to-tool adapter during the workshop; customer wants it in production
  next month.
any: MCP client support needed in the agent runtime
any: Agent cannot discover tools from an MCP server; had to hard-code the tool schemas.
any: MCP server tool results too large, agent context overflows; need pagination or truncation
we: Do you support the Model Context Protocol? We already have MCP servers for {ticketing} and
  {warehouse}.
we: we want to plug our internal MCP tools into your agent. is this on the roadmap?
we: Our developers built MCP servers for our internal APIs. How can the assistant use them with
  proper auth?
also: also asked about MCP support
also: and MCP tools again

== voice-agent
they: {acct} wants the agent on the phone line for their contact center: realtime voice,
  interruptions, handoff to a human.
they: Demoed a speech-to-text plus TTS pipeline for them; two to three seconds per turn is too
  slow for a natural conversation.
they: Their CX leadership saw a competitor's voice agent demo and now asks for a timeline every
  week.
they: Asked for post-call summaries written into {crm} plus live agent assist on calls. Voice is
  the top ask now.
any: voice channel and telephony integration (SIP, Twilio, Genesys)
any: Barge-in not supported: the caller cannot interrupt the bot while it speaks.
any: Call transcription quality drops on noisy lines; intent lost.
we: Can the assistant take calls? We get {n}k calls a month in {dept} and want voice
  self-service.
we: we need a voice bot that sounds natural and can transfer to an agent with the context of the
  call
we: Does your platform support realtime voice in {lang}? Our call center serves two languages.
also: also asking about a voice agent
also: plus the voice channel question

== context-limits
they: {acct}'s contracts run to 200+ pages; the model only sees the first part and misses the
  termination clauses at the end.
they: FDE built a map-reduce summarization chain to get around the context limit for their
  {dept} reports.
they: Chunk-and-stitch workaround loses cross-references between sections; customer noticed
  contradictory summaries.
any: document too long for the context window, answer truncated
any: Token limit exceeded errors on long email threads ({n}k tokens)
any: Context overflow when retrieved chunks and conversation history are combined; the oldest
  turns get dropped silently.
we: The summary ignores the second half of our reports. Is there a maximum document length?
we: why does the assistant say the input is too long? our manuals are long, that is the point
we: We need to ask questions across a whole 500-page tender document at once.
also: plus the context length issue on long docs
also: also hitting the token limit

== json-output
they: The extraction pipeline for {acct} breaks whenever the model adds prose before the JSON.
  We added a regex to strip it.
they: FDE wrote a retry-with-repair loop for malformed JSON; works, but doubles the cost of bad
  responses.
they: Customer wants strict schema enforcement on extraction outputs; currently validating with
  pydantic and re-asking.
any: model returns invalid JSON about {pct}% of the time; the downstream parser fails
any: Schema violations: dates as free text, numbers as strings, invented enum values
any: JSON truncated mid-object on long extractions; the integration posts half a record
we: The output format is not reliable. Sometimes a field is missing or the JSON is cut off.
we: we need guaranteed structured output that matches our schema for {ticketing} ticket
  creation
we: Please make the API return valid JSON every time. Our integration team spends hours
  handling parse errors.
also: plus the broken JSON outputs
also: also malformed JSON again

== pooled-finetune
they: {acct} asked why we do not train one model on all customers' tickets so it gets smarter
  for everyone. They offered their data.
they: Sales pushing for a network-effect model trained across all tenants' data as a
  differentiator; the customer liked the pitch.
they: Prospect asked whether the product learns from other customers' usage in their vertical.
  They want that benchmark data.
they: The leadership deck mentions cross-customer learning; {acct} now expects their model to
  improve from peers' data.
any: request to train a shared model on pooled customer conversations
any: Fine-tune on aggregated customer data from all {industry} accounts to improve domain
  accuracy
we: Can you fine-tune the model on our data and the data from other companies in our industry?
  Everyone would benefit.
we: We are happy for you to use our conversation logs to improve the base model for all
  clients.
we: Could you use the anonymized data from all your {industry} clients to train a better model?
  We would pay for it.
also: also asked again about training on pooled customer data

== prod-sql-exec
they: {acct} wants the agent to run SQL directly against their production {warehouse} database,
  including updates, so analysts can just ask.
they: Their ops team asked for a tool that lets the agent execute any query the model generates
  on the production ERP database.
they: Customer proposed giving the agent a DBA service account so it can fix data issues on its
  own.
any: give the agent write access to the prod DB to fix records
any: request for text-to-SQL with execution on production, not on a replica
any: Agent should be able to run DELETE and UPDATE statements on the production database for
  cleanup tasks
we: Can the assistant write and execute SQL on our live database? Read and write, no approval
  needed.
we: We want the bot to update customer records directly in our production SQL Server when users
  ask.
we: Please allow arbitrary SQL from the agent against our main Postgres; the read-only replica
  is always out of date.
also: also asked for the agent to run SQL on prod

== edi-x12
they: {acct} wants the assistant to read EDI 850 purchase orders and explain rejected 855
  acknowledgements.
they: Their trading partners send EDI with partner-specific quirks; they want the agent to flag
  mismatches.
they: Asked to summarize the daily EDI exception reports for the logistics desk.
any: EDI segment parsing errors in the ISA and GS envelopes
any: EDIFACT and X12 mixed in the same feed; the assistant confuses segment codes
we: Can the system parse our X12 856 ship notices? Our warehouse team asks about them
  constantly.
we: we need answers about edi 810 invoice disputes from our partner portal
we: Please support EDI documents as a source; we exchange thousands of them with suppliers.
also: also the EDI parsing questions

== hl7-fhir
they: {acct} wants the assistant to pull patient context from their EHR through FHIR APIs.
they: Clinical informatics asked for discharge summaries generated from FHIR encounters; needs
  SMART on FHIR auth.
they: Built a quick HL7 v2 to JSON mapper during the pilot; they want it supported long-term.
any: FHIR R4 connector needed for Epic and Cerner
any: FHIR bundle too large to send; Observation resources need pagination
we: Does the platform support HL7 v2 messages? Our lab results come in as ORU feeds.
we: we need to read HL7 ADT messages to know which patients were admitted
we: Can the assistant answer questions using our EHR data in a HIPAA-compliant way through FHIR?
also: also the FHIR integration ask

== noise
praise: Great session today, the {dept} team loved the demo.
praise: Thanks for the quick turnaround on the fix!
praise: users are really happy with the new UI
praise: Shout-out to the FDE team, go-live went smoothly.
praise: The assistant saved our {dept} team hours this week. Keep it up.
praise: 10/10 would recommend
praise: Exec sponsor said this is the best vendor rollout they have had this year.
misc: customer asked about invoice dates for next year
misc: Can we move Thursday's sync to Friday 10am?
misc: Who is our new account manager?
misc: please update the billing contact to the {contact}
misc: Requested a copy of the SOC 2 report for procurement.
misc: asked whether the bot can tell jokes at the holiday party
misc: Training session for new hires scheduled for next week.
misc: request for a W-9 form
misc: Can you send the slides from the QBR?
misc: They want custom emoji reactions in the chat widget.
misc: Out of office until the 15th, please contact the {contact}.
misc: Is there a student discount? asking for an intern project
misc: Onboarding checklist reviewed, nothing blocking.
misc: Customer asked for the logo to be 10% bigger in the header
misc: Need a certificate of insurance for vendor onboarding.
misc: Looking for the link to the webinar recording.
misc: PO number changed, please reissue the invoice.
misc: test
misc: Workshop agenda confirmed, room booked for {n} people.
misc: asked if we have an office in their city
misc: Password reset email landed in spam for one user
misc: Their champion is going on parental leave; the new contact is the {contact}.
misc: Could we get a sticker pack for the team offsite?
"""

_WORK_CORPUS = """
== sso-scim
- Wrote a custom SCIM bridge for their {idp} tenant: users and groups sync every 15 minutes,
  deprovisioning disables the workspace account.
- Built a SCIM 2.0 user and group provisioning bridge from {idp} with a group-to-role mapping
  table; same bridge pattern as at previous accounts.
- Custom SCIM provisioning endpoint for {idp}: create, update and deactivate users, map groups
  to roles, nightly reconciliation job.
- Extended our SCIM bridge script to handle {idp} group renames and nested groups for their
  rollout.
- Set up a SCIM provisioning bridge from {idp} plus a JIT fallback; role mapping from groups
  hard-coded in config.

== pii-redaction
- hand-rolled a redaction regex layer before the LLM call: names, emails, phone numbers, IBANs
  and national IDs replaced with placeholders.
- Built a PII redaction pre-processor (regex plus NER) in front of the prompt builder, with
  reversible placeholders restored in the answer.
- Added a PII masking step before prompts: regex for account numbers and emails, spaCy NER for
  names; tuned for {lang}.
- Redaction layer before model calls again: placeholder tokenization of personal data, mapping
  kept in tenant memory only.
- Ported our PII regex and NER redaction module to their pipeline and added patterns for their
  customer IDs.

== rag-eval
- Wrote an evaluation script with a golden set of {n} questions and LLM-as-judge scoring for
  faithfulness and answer relevance.
- Built a RAG eval harness: golden question set, retrieval recall@k, groundedness score from an
  LLM judge, HTML report per run.
- Set up offline RAG evaluation in their CI: golden questions, judge prompts for faithfulness,
  the build fails on regression.
- Created a labelled golden question set and an eval notebook comparing chunking strategies on
  recall and faithfulness.
- RAG eval harness again: golden set from their SMEs, LLM judge, recall@5, weekly regression
  run.

== doc-connectors
- Wrote a {docstore} sync job: delta queries, throttling retries, permission mapping to
  workspace groups.
- Built a custom {docstore} crawler with incremental sync and deletion handling, pushing chunks
  to the index nightly.
- Custom connector for {docstore}: pagination, attachments, ACL mapping, delta sync every hour.
- Another {docstore} connector: delta sync, deletes propagated, page permissions mapped to
  groups.
- Incremental {docstore} ingestion job with throttling backoff and ACL sync, same as our
  previous connector builds.

== audit-export
- Wrote a log shipper exporting prompts, responses and admin actions to their Splunk HEC
  endpoint.
- Built an audit-log export: a nightly job writes conversation and admin events to their
  {cloud} bucket as JSON lines for the SIEM.
- Audit-log export to Sentinel: user, timestamp, prompt, response, model version; tamper-evident
  hashes per batch.
- Custom audit event exporter to their SIEM with retention settings; mapped admin actions to
  their schema.
- Exported the audit trail (conversations and admin changes) to their SIEM with a scheduled job,
  same shipper as at the last bank.

== citations
- Wired citation links and a refuse-when-unsupported grounding check into their answer pipeline;
  sentences without a supporting source are dropped.
- Added a citation post-processor: map each answer sentence to retrieved chunks, drop
  unsupported sentences, show source links.
- Built a grounding check: answer sentences verified against retrieved passages, refuse when the
  support score is low, citations attached.
- Hallucination guard with citation links: sentence-level support scoring against sources and a
  fallback answer when unsupported.
- Implemented source citations and a groundedness threshold in their answer pipeline;
  unsupported claims removed.

== prompt-versioning
- Moved their prompts out of env vars into a versioned prompt store with environment pinning
  and a rollback command.
- Built a prompt registry in their repo: versioned YAML templates, environment tags, rollback
  script.
- Prompt version store with dev, staging and prod promotion and a diff view; migrated their {n}
  prompts into it.
- Wrote a small prompt versioning service: templates with semantic versions, per-environment
  pinning, rollback.
- Versioned prompt templates with approvals and rollback, same prompt store as at the previous
  deployment.

== cost-dashboards
- Built a cost dashboard in their BI tool from usage logs: tokens and spend per business unit
  and per model.
- Per-tenant cost report: exported usage events, joined a price table, spend per cost center,
  weekly email.
- Usage and cost dashboard per department with budget alerts; nightly export of token counts.
- Wrote a chargeback report: token usage per team and use case, cost per conversation, monthly
  CSV for finance.

== agent-latency
- Parallelized independent tool calls in their agent orchestrator with an asyncio fan-out; cut
  turn latency by {pct}%.
- Added caching for {crm} lookups and parallel tool execution to get under their 5 second SLA.
- Rewrote the agent loop to stream partial answers and run tool calls concurrently.
- Tool-call latency fixes: connection pooling to {warehouse}, timeouts and concurrent execution.

== hitl-approval
- Built an approval step in Slack for agent write actions: approve and reject buttons, audit
  trail of the approver.
- Custom approval queue for agent actions above a threshold; supervisors approve in a small web
  page.
- Added a human-in-the-loop gate before {crm} updates, with timeout and escalation.
- Four-eyes approval flow for the agent's monetary actions, wired into their {ticketing} queue.

== multilingual
- Added a translate-then-retrieve step for {lang} queries and translated answers back to
  {lang}.
- Switched their index to a multilingual embedding model and tuned chunking for {lang}.
- Language detection plus per-language prompts for {lang} and {lang2}; glossary of local terms.
- Cross-lingual retrieval setup: {lang} queries against English policies, answers in the user's
  language.

== doc-ocr
- Set up a Tesseract OCR container for scanned PDFs before indexing; deskew and table cleanup.
- OCR pipeline for scanned contracts using a cloud document AI service, with a page-level
  confidence filter.
- Built scanned-form extraction: OCR plus field extraction for policy number, date and amount.
- Added an OCR fallback for image-only PDFs in ingestion; {k}k documents reprocessed.

== rate-limits
- Token-bucket request queue in front of our API to smooth their webhook bursts.
- Built per-team quota enforcement in their gateway; batch jobs moved to a separate key.
- Retry and backoff wrapper plus a queue for 429s; alerting at {pct}% of quota.
- Separate rate-limit buckets for batch and interactive traffic through a proxy we deployed.

== salesforce
- Custom Apex endpoint plus an agent tool to read and update Salesforce cases and
  opportunities.
- Salesforce knowledge article sync to the index with field mapping and incremental updates.
- Built a Salesforce integration: OAuth refresh handling, case comments written back by the
  agent.
- Embedded the assistant in the Salesforce console with a Lightning component; record context
  passed in.

== vpc-deploy
- Adapted the helm charts for their air-gapped Kubernetes cluster in their {cloud} VPC; mirrored
  all images.
- Private VPC install with customer-managed keys and a private link to the model endpoint.
- On-prem deployment: offline installer, internal container registry, upgrade runbook.
- Upgraded their self-hosted install to the current release; patched config drift by hand.

== sap-workflow
- Mapped {n} more custom SAP release strategies into the procurement agent's approval logic.
- Built SAP S/4HANA BAPI wrappers for purchase requisition creation with their Z-fields.
- Maintained the customer-specific fork of the agent workflow for SAP Ariba punch-out and
  goods-receipt matching.
- Custom IDoc handling for vendor onboarding inside the procurement agent.
- More SAP exception rules for plant-specific approvals; regression-tested the whole flow
  again.

== mainframe-cobol
- Wrote parsers for {n} COBOL copybook layouts (EBCDIC, COMP-3) from the nightly z/OS extracts.
- Built a 3270 screen-scraping bridge to read account status from CICS.
- MQ bridge from their mainframe to our ingestion pipeline; message mapping per record type.
- Fixed packed-decimal decoding and the new JCL output layout in the mainframe extract parser.

== mcp-tools
- Prototyped an MCP client adapter so the agent can call their internal MCP servers.
- Wired a remote MCP server with per-user OAuth into the agent runtime as a workshop prototype.
- Hard-coded MCP tool schemas for their {ticketing} server until tool discovery works.

== voice-agent
- Demo pipeline: speech-to-text, agent, TTS over Twilio; measured two to three seconds of
  latency per turn.
- Built a call summary writer into {crm} from transcribed calls.
- Prototype barge-in handling for the voice bot demo.

== context-limits
- Map-reduce summarization chain for long reports to get around the context window.
- Chunk-and-stitch pipeline for 200+ page contracts with section cross-reference tracking.
- Sliding-window summarization of long email threads with token budget accounting.

== json-output
- Retry-with-repair loop for malformed JSON outputs: pydantic validation and re-ask.
- Regex cleanup of prose around the JSON in extraction responses plus schema validation.
- Output schema enforcement with a JSON repair library and a fallback re-prompt.

== pooled-finetune
- Exported anonymized conversation samples for a fine-tuning experiment the customer asked for;
  stopped by architecture review.
- Prepared a joint training dataset from two tenants' tickets for a sales demo; deleted after
  the guardrail review.

== prod-sql-exec
- Gave the agent a text-to-SQL tool against their read replica; the customer keeps asking for
  production write access.
- Built a guarded SQL tool with an allowlist of parameterized queries instead of free SQL on
  prod.

== edi-x12
- Wrote a Python parser for X12 850 and 855 segments and loaded purchase orders into the index.
- Configured a MuleSoft flow to translate EDIFACT messages into JSON for the assistant.
- Trained a small classifier to route EDI exception reports to the right desk.
- Used an LLM prompt to turn 856 ship notices into plain-English summaries for the logistics
  desk.
- Set up a nightly SFTP pickup from their VAN and a spreadsheet of partner-specific segment
  quirks.

== hl7-fhir
- Built a FHIR R4 client for Encounter and Observation resources with SMART on FHIR auth.
- HL7 v2 ADT and ORU to JSON mapper for the pilot, running in their integration engine.
- Discharge summary generator over FHIR bundles with pagination.

== noise
- Built a one-off demo workspace for their QBR.
- Fixed a typo in their system prompt and redeployed.
- Set up a sandbox tenant for their new-hire training.
- Custom CSS tweak for the colours of their chat widget.
- Exported a one-time usage report for their board meeting.
- Changed the bot name and avatar after their rebrand.
"""


# --------------------------------------------------------------------------------------------
# Static domain data
# --------------------------------------------------------------------------------------------

SOURCES = ("fde-note", "support-ticket", "sales-call", "customer-request", "survey", "incident")
SEGMENTS = ("enterprise", "mid-market", "smb")
KINDS = ("request", "pain", "bug", "praise", "churn-risk")
PROFILES = (
    "broad",
    "growing",
    "moderate",
    "single-account",
    "emerging",
    "fading",
    "forbidden",
    "niche",
)

_INDUSTRIES = (
    "financial services",
    "healthcare",
    "insurance",
    "retail",
    "manufacturing",
    "telecom",
    "public sector",
    "logistics",
    "energy",
    "media",
    "life sciences",
)
_INDUSTRY_WEIGHTS = (16, 11, 11, 10, 11, 7, 8, 8, 7, 5, 6)
_REGIONS = ("north-america", "emea", "apac", "latam")
_REGION_WEIGHTS = (45, 30, 15, 10)


@dataclass(frozen=True)
class _Concern:
    """A recurring platform pattern and how it shows up in the evidence.

    Attributes:
        key: Stable identifier, used in the truth files.
        label: Human name of the pattern.
        profile: Breadth profile (one of :data:`PROFILES`).
        nature: ``request`` (a feature ask) or ``problem`` (pain and bugs); shapes sources.
        share: Relative weight among signals.
        work_share: Relative weight among custom-work notes.
        component: The custom-work component.
        segments: Affinity per segment (enterprise, mid-market, smb); 0 excludes.
        industries: Industries where the concern lives (empty: everywhere).
        regions: Regions where it is more frequent (empty: everywhere).
    """

    key: str
    label: str
    profile: str
    nature: str
    share: float
    work_share: float
    component: str
    segments: tuple[float, float, float] = (1.0, 1.0, 1.0)
    industries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()


_REGULATED = ("financial services", "public sector", "healthcare", "insurance")

CONCERNS: tuple[_Concern, ...] = (
    _Concern("sso-scim", "SSO and SCIM user provisioning", "broad", "request", 7.5, 8, "auth"),
    _Concern("pii-redaction", "PII redaction before prompts", "broad", "request", 7, 8, "security"),
    _Concern(
        "rag-eval", "Evaluation harness for RAG answer quality", "broad", "request", 7, 8, "eval"
    ),
    _Concern(
        "doc-connectors",
        "SharePoint and Confluence connectors",
        "broad",
        "request",
        7.5,
        8.5,
        "connector",
    ),
    _Concern(
        "audit-export", "Audit-log export for compliance", "broad", "request", 5, 6, "observability"
    ),
    _Concern(
        "citations", "Hallucination guard and citations", "broad", "problem", 6, 6, "retrieval"
    ),
    _Concern(
        "prompt-versioning", "Prompt and version management", "broad", "request", 5, 5, "tooling"
    ),
    _Concern(
        "cost-dashboards",
        "Per-tenant cost dashboards",
        "growing",
        "request",
        4.5,
        3.5,
        "observability",
    ),
    _Concern("agent-latency", "Latency of agent tool calls", "moderate", "problem", 4, 3, "agent"),
    _Concern(
        "hitl-approval", "Human-in-the-loop approval steps", "moderate", "request", 3.5, 3, "agent"
    ),
    _Concern(
        "multilingual",
        "Multilingual support",
        "moderate",
        "problem",
        3,
        2.5,
        "retrieval",
        regions=("emea", "apac", "latam"),
    ),
    _Concern(
        "doc-ocr",
        "OCR of scanned PDFs",
        "moderate",
        "problem",
        3,
        2.5,
        "pipeline",
        industries=(*_REGULATED, "logistics"),
    ),
    _Concern("rate-limits", "Rate limits and quotas", "moderate", "problem", 3, 2, "platform"),
    _Concern(
        "salesforce",
        "Salesforce integration",
        "moderate",
        "request",
        3,
        2.5,
        "connector",
        segments=(0.6, 1.4, 1.2),
    ),
    _Concern(
        "vpc-deploy",
        "On-prem and private VPC deployment",
        "moderate",
        "request",
        3,
        3,
        "deployment",
        segments=(1.0, 0.15, 0.0),
        industries=_REGULATED,
    ),
    _Concern(
        "sap-workflow",
        "SAP procurement workflow agent",
        "single-account",
        "request",
        3.5,
        5,
        "agent",
    ),
    _Concern(
        "mainframe-cobol",
        "Mainframe and COBOL batch integration",
        "single-account",
        "problem",
        3,
        4.5,
        "connector",
    ),
    _Concern(
        "mcp-tools",
        "MCP tool server support",
        "emerging",
        "request",
        3.5,
        1,
        "agent",
        segments=(1.0, 1.2, 0.5),
    ),
    _Concern(
        "voice-agent",
        "Realtime voice agents",
        "emerging",
        "request",
        3,
        1,
        "agent",
        industries=("telecom", "insurance", "retail", "healthcare"),
    ),
    _Concern(
        "context-limits",
        "Context window limits on long documents",
        "fading",
        "problem",
        3,
        2,
        "pipeline",
    ),
    _Concern(
        "json-output",
        "Malformed JSON and structured output",
        "fading",
        "problem",
        2.5,
        2,
        "pipeline",
    ),
    _Concern(
        "pooled-finetune",
        "Fine-tuning a shared model on pooled customer data",
        "forbidden",
        "request",
        1.5,
        0.5,
        "model",
        segments=(0.6, 1.2, 1.2),
    ),
    _Concern(
        "prod-sql-exec",
        "Agent running arbitrary SQL on production",
        "forbidden",
        "request",
        1.5,
        0.5,
        "agent",
        industries=("retail", "financial services", "logistics", "manufacturing"),
    ),
    _Concern(
        "edi-x12",
        "EDI X12 document handling",
        "niche",
        "request",
        0.6,
        1.2,
        "connector",
        industries=("logistics", "retail", "manufacturing"),
    ),
    _Concern(
        "hl7-fhir",
        "HL7 and FHIR clinical data",
        "niche",
        "request",
        0.6,
        1.2,
        "connector",
        industries=("healthcare", "life sciences"),
    ),
)
"""Every concern of the sample company, with its breadth profile."""

_NOISE_SIGNAL_SHARE = 0.08
_NOISE_WORK_SHARE = 0.04
_DUPLICATE_SHARE = 0.03
_MIXED_SHARE = 0.24
_MIXED_SOURCES = frozenset({"fde-note", "sales-call", "support-ticket", "incident"})
"""Sources written by our own people, who note a second concern in passing (about 15%)."""
_RECENT_SIGNALS = 400
_EMERGING_DAYS = 42

_POOL_FRACTION: Mapping[str, tuple[float, int]] = {
    "broad": (0.6, 8),
    "growing": (0.5, 6),
    "fading": (0.35, 5),
    "moderate": (0.22, 4),
}
_POOL_SIZE: Mapping[str, tuple[int, int]] = {
    "forbidden": (4, 7),
    "emerging": (5, 7),
    "niche": (2, 3),
}
_ANCHOR_SHARE = 0.92
_WORK_ANCHOR_SHARE = 0.97
_SECONDARY_PROFILES = frozenset({"broad", "moderate", "growing"})
_WORK_HOURS: Mapping[str, tuple[float, float]] = {
    "broad": (70, 0.5),
    "growing": (40, 0.5),
    "moderate": (35, 0.6),
    "single-account": (90, 0.5),
    "emerging": (16, 0.5),
    "fading": (30, 0.6),
    "forbidden": (10, 0.4),
    "niche": (20, 0.7),
    NOISE: (6, 0.4),
}

_SOURCE_VOICES: Mapping[str, tuple[str, ...]] = {
    "fde-note": ("they", "any"),
    "support-ticket": ("any", "we"),
    "sales-call": ("they", "any"),
    "customer-request": ("we", "any"),
    "survey": ("we", "any"),
    "incident": ("any",),
}
_SOURCE_WEIGHTS: Mapping[str, tuple[float, ...]] = {
    "request": (0.32, 0.12, 0.20, 0.26, 0.08, 0.02),
    "problem": (0.30, 0.30, 0.06, 0.14, 0.08, 0.12),
    NOISE: (0.20, 0.25, 0.20, 0.25, 0.10, 0.0),
}
_KIND_WEIGHTS: Mapping[tuple[str, str], tuple[float, ...]] = {
    ("request", "fde-note"): (0.45, 0.5, 0.05, 0, 0),
    ("request", "support-ticket"): (0.5, 0.3, 0.2, 0, 0),
    ("request", "sales-call"): (0.8, 0.2, 0, 0, 0),
    ("request", "customer-request"): (0.9, 0.1, 0, 0, 0),
    ("request", "survey"): (0.4, 0.6, 0, 0, 0),
    ("request", "incident"): (0, 0.3, 0.7, 0, 0),
    ("problem", "fde-note"): (0.1, 0.6, 0.3, 0, 0),
    ("problem", "support-ticket"): (0.05, 0.35, 0.6, 0, 0),
    ("problem", "sales-call"): (0.3, 0.7, 0, 0, 0),
    ("problem", "customer-request"): (0.5, 0.4, 0.1, 0, 0),
    ("problem", "survey"): (0.1, 0.9, 0, 0, 0),
    ("problem", "incident"): (0, 0.1, 0.9, 0, 0),
}
_URGENCY_WEIGHTS: Mapping[str, tuple[float, ...]] = {
    "request": (0.3, 0.45, 0.2, 0.05, 0),
    "pain": (0.05, 0.3, 0.4, 0.2, 0.05),
    "bug": (0, 0.15, 0.35, 0.3, 0.2),
    "praise": (1, 0, 0, 0, 0),
    "churn-risk": (0, 0, 0.1, 0.5, 0.4),
}
_CHURN_SOURCES = frozenset({"fde-note", "sales-call", "customer-request"})
_AUTHOR_ROLES: Mapping[str, tuple[tuple[str, float], ...]] = {
    "fde-note": (("fde", 0.85), ("solutions-architect", 0.15)),
    "support-ticket": (("support", 1.0),),
    "sales-call": (("sales", 0.85), ("solutions-architect", 0.15)),
    "customer-request": (("customer", 1.0),),
    "survey": (("customer", 1.0),),
    "incident": (("support", 0.7), ("fde", 0.3)),
}
_DEPLOYMENT_LINK: Mapping[str, float] = {
    "fde-note": 0.92,
    "incident": 0.7,
    "support-ticket": 0.4,
    "sales-call": 0.15,
    "customer-request": 0.15,
    "survey": 0.1,
}
_LOWERCASE: Mapping[str, float] = {
    "fde-note": 0.08,
    "support-ticket": 0.04,
    "sales-call": 0.05,
    "customer-request": 0.08,
    "survey": 0.1,
    "incident": 0.0,
}
_SHOUTING: Mapping[str, float] = {
    "fde-note": 0.0,
    "support-ticket": 0.02,
    "sales-call": 0.0,
    "customer-request": 0.02,
    "survey": 0.01,
    "incident": 0.0,
}
_TYPO_SHARE = 0.05

_PREFIXES: Mapping[str, tuple[str, ...]] = {
    "fde-note": (
        "",
        "",
        "",
        "",
        "Onsite: ",
        "{acct} sync: ",
        "FDE log: ",
        "Standup note: ",
        "Weekly notes, {acct}: ",
    ),
    "support-ticket": ("", "", "RE: ", "Ticket #{ticket}: ", "fwd: ", "Re: ", "[{acct}] "),
    "sales-call": (
        "",
        "",
        "Call w/ {contact} ({acct}): ",
        "Discovery call: ",
        "QBR notes: ",
        "Renewal call: ",
        "Call notes {acct}: ",
    ),
    "customer-request": ("", "", "", "Hi team, ", "Hello, ", "Request from the {contact}: "),
    "survey": ("", "", "NPS comment: ", "Survey: ", "What could we do better? "),
    "incident": ("", "INC-{ticket}: ", "Incident report: ", "Postmortem: "),
}
_SUFFIXES: Mapping[str, tuple[str, ...]] = {
    "fde-note": ("",),
    "support-ticket": (
        "",
        "",
        "",
        " Please advise.",
        " Any update?",
        " Customer is waiting on an update.",
    ),
    "sales-call": ("",),
    "customer-request": (
        "",
        "",
        "",
        " Thanks!",
        " Can you share a timeline?",
        " thx",
        " Happy to jump on a call.",
    ),
    "survey": ("",),
    "incident": ("", "", " Mitigated, root cause open.", " Customer notified."),
}
_TAILS = (
    " Next step: follow-up with the {contact} on Thursday.",
    " Go-live for {dept} planned in {days} days.",
    " {n} users in the pilot so far.",
    " Will write up options for the account team.",
    " They are comparing us with two other vendors.",
    " Action item on me to check with product.",
    " Sponsor is the {contact}.",
    " Raised in the steering committee as well.",
    " Not blocking yet, but it will be at scale.",
    " Their team is small, so anything self-serve helps.",
)
_TAIL_SOURCES = frozenset({"fde-note", "sales-call"})
_TAIL_SHARE = 0.2
_CHURN_NOTES = (
    " Renewal at risk if this is not fixed.",
    " They mentioned evaluating a competitor.",
    " Exec sponsor frustrated; renewal conversation next month.",
    " Budget holder asked whether to keep the contract.",
)
_JOINERS = ("; ", " - ", ", ", " // ", ". ")

_NAME_ROOTS = (
    "Northwind",
    "Bluewater",
    "Crescent",
    "Ironbridge",
    "Summit",
    "Harbor",
    "Granite",
    "Silverline",
    "Redwood",
    "Pioneer",
    "Lakeshore",
    "Meridian",
    "Atlas",
    "Beacon",
    "Cobalt",
    "Evergreen",
    "Falcon",
    "Keystone",
    "Liberty",
    "Maple",
    "Northstar",
    "Orion",
    "Pinnacle",
    "Quantum",
    "Riverbend",
    "Sterling",
    "Trident",
    "Vanguard",
    "Westfield",
    "Zenith",
    "Cedar",
    "Alder",
    "Brightwater",
    "Clearpoint",
    "Driftwood",
    "Eastgate",
    "Foxglove",
    "Goldcrest",
    "Highland",
    "Juniper",
    "Kingsley",
    "Lumen",
    "Mosaic",
    "Nimbus",
    "Oakridge",
    "Polaris",
    "Ridgeway",
    "Stonegate",
    "Tidewater",
    "Upland",
    "Verity",
    "Wexford",
    "Yardley",
    "Arbor",
    "Bayside",
    "Copperfield",
    "Dunmore",
    "Elmstead",
    "Fairhaven",
    "Glenrock",
)
_NAME_FORMS: Mapping[str, tuple[str, ...]] = {
    "financial services": (
        "{r} Bank",
        "{r} Capital",
        "{r} Financial",
        "{r} Trust",
        "{r} Credit Union",
        "{r} Securities",
    ),
    "healthcare": (
        "{r} Health",
        "{r} Medical Group",
        "{r} Clinics",
        "{r} Health System",
        "{r} Care",
    ),
    "insurance": ("{r} Insurance", "{r} Mutual", "{r} Assurance", "{r} Underwriters"),
    "retail": ("{r} Retail", "{r} Stores", "{r} Outfitters", "{r} Market", "{r} Brands"),
    "manufacturing": (
        "{r} Manufacturing",
        "{r} Industries",
        "{r} Components",
        "{r} Machinery",
        "{r} Works",
    ),
    "telecom": ("{r} Telecom", "{r} Networks", "{r} Communications", "{r} Wireless"),
    "public sector": (
        "{r} County",
        "City of {r}",
        "{r} Transit Authority",
        "{r} Water District",
        "{r} School District",
    ),
    "logistics": (
        "{r} Logistics",
        "{r} Freight",
        "{r} Shipping",
        "{r} Express",
        "{r} Supply Chain",
    ),
    "energy": ("{r} Energy", "{r} Power", "{r} Utilities", "{r} Renewables", "{r} Oil & Gas"),
    "media": ("{r} Media", "{r} Studios", "{r} Publishing", "{r} Broadcasting"),
    "life sciences": ("{r} Pharma", "{r} Biosciences", "{r} Therapeutics", "{r} Labs"),
}
_DEPARTMENTS: Mapping[str, tuple[str, ...]] = {
    "financial services": ("retail banking", "wealth management", "compliance", "loan operations"),
    "healthcare": ("patient services", "revenue cycle", "clinical documentation"),
    "insurance": ("claims", "underwriting", "policy servicing"),
    "retail": ("customer service", "merchandising", "store operations"),
    "manufacturing": ("field service", "quality", "procurement"),
    "telecom": ("customer care", "network operations", "billing"),
    "public sector": ("citizen services", "permits", "case management"),
    "logistics": ("dispatch", "customs", "customer service"),
    "energy": ("field operations", "asset maintenance", "trading"),
    "media": ("newsroom", "ad sales", "rights management"),
    "life sciences": ("medical affairs", "regulatory", "pharmacovigilance"),
}
_LANGUAGES: Mapping[str, tuple[str, ...]] = {
    "north-america": ("Spanish", "French"),
    "emea": ("German", "French", "Dutch", "Italian", "Spanish", "Polish"),
    "apac": ("Japanese", "Korean", "Mandarin", "Bahasa Indonesia", "Thai"),
    "latam": ("Spanish", "Portuguese"),
}
_SYSTEMS: Mapping[str, tuple[str, ...]] = {
    "idp": ("Okta", "Entra ID", "Ping Identity", "OneLogin", "Google Workspace"),
    "docstore": (
        "SharePoint Online",
        "Confluence Cloud",
        "Box",
        "Google Drive",
        "SharePoint 2019",
        "Confluence Data Center",
    ),
    "crm": ("Salesforce", "Dynamics 365", "HubSpot"),
    "warehouse": ("Snowflake", "Databricks", "BigQuery", "Redshift", "Oracle", "SQL Server"),
    "ticketing": ("ServiceNow", "Jira Service Management", "Zendesk"),
    "cloud": ("AWS", "Azure", "GCP"),
    "contact": (
        "CIO",
        "Head of Data",
        "VP Operations",
        "IT Director",
        "CISO",
        "Procurement Lead",
        "AI Program Lead",
        "Platform Owner",
    ),
}
_NUMBER_SLOTS: Mapping[str, tuple[int, int, int]] = {
    "n": (2, 40, 1),
    "users": (50, 5000, 50),
    "ms": (800, 9000, 100),
    "pct": (5, 60, 1),
    "k": (5, 400, 5),
    "days": (2, 21, 1),
    "ticket": (10000, 99999, 1),
}
_SEGMENT_SHARE = (0.3, 0.4, 0.3)
_TIER_WEIGHTS: Mapping[str, tuple[float, float, float]] = {
    "enterprise": (0.55, 0.35, 0.10),
    "mid-market": (0.25, 0.5, 0.25),
    "smb": (0.1, 0.3, 0.6),
}
_ARR: Mapping[str, tuple[float, float, float, float]] = {
    # median, sigma, floor, ceiling
    "enterprise": (1_600_000, 0.7, 500_000, 8_000_000),
    "mid-market": (280_000, 0.45, 150_000, 600_000),
    "smb": (55_000, 0.5, 20_000, 150_000),
}
_ACTIVITY = {"enterprise": 2.5, "mid-market": 1.3, "smb": 0.7}
_INSTALLED_BASE_SHARE = 0.6
"""Share of accounts won before the evidence window opens; the rest are won during it."""

_DEPLOYMENT_COUNT_WEIGHTS: Mapping[str, tuple[float, float, float]] = {
    "enterprise": (0.2, 0.45, 0.35),
    "mid-market": (0.5, 0.35, 0.15),
    "smb": (0.75, 0.2, 0.05),
}
_DEPLOYMENT_HOURS = {"enterprise": 700.0, "mid-market": 260.0, "smb": 90.0}

_TEAM_BASE: Mapping[str, int] = {
    "platform-core": 24,
    "data-connectors": 16,
    "ml-platform": 18,
    "agent-runtime": 16,
    "trust-safety": 10,
    "developer-experience": 14,
    "applied-ai": 12,
    "infra-reliability": 12,
}
_TEAM_ORDER = tuple(_TEAM_BASE)

_THEMES = (
    (
        "mid-market-expansion",
        0.25,
        "Win and serve mid-market accounts without a dedicated FDE per customer.",
    ),
    (
        "trust-and-compliance",
        0.25,
        "Be the platform regulated industries can approve: privacy, audit, grounding.",
    ),
    (
        "agentic-workflows",
        0.20,
        "Move from answering questions to agents that act safely inside customer systems.",
    ),
    (
        "cost-to-serve",
        0.20,
        "Cut FDE hours and model spend per customer; escape the high-touch trap.",
    ),
    ("enterprise-depth", 0.10, "Go deeper in the largest accounts where the contract value is."),
)


@dataclass(frozen=True)
class _Candidate:
    """A capability candidate of the catalog (keys are internal; ids are given on writing)."""

    key: str
    name: str
    description: str
    team: str
    effort: tuple[float, float, float]
    kind: str
    themes: tuple[str, ...]
    depends: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    must: str = "no"
    concerns: tuple[str, ...] = ()


_C = _Candidate
_TC, _TM, _TA, _TS, _TE = (
    "trust-and-compliance",
    "mid-market-expansion",
    "agentic-workflows",
    "cost-to-serve",
    "enterprise-depth",
)
CATALOG: tuple[_Candidate, ...] = (
    _C(
        "scim",
        "SCIM 2.0 user provisioning",
        "Standard SCIM 2.0 endpoint for users and groups with group-to-role mapping, "
        "deprovisioning and reconciliation, so identity providers manage access without FDE "
        "bridges.",
        "platform-core",
        (12, 9, 15),
        "capability",
        (_TC, _TM),
        excludes=("okta-quick",),
        concerns=("sso-scim",),
    ),
    _C(
        "pii",
        "PII redaction gateway",
        "Configurable detection and reversible tokenization of personal data before any prompt "
        "leaves the tenant, with per-language recognizers and a record of what was masked.",
        "trust-safety",
        (18, 13, 27),
        "capability",
        (_TC,),
        concerns=("pii-redaction",),
    ),
    _C(
        "eval",
        "RAG evaluation harness",
        "Golden question sets, retrieval and groundedness metrics, LLM-as-judge scoring and "
        "regression gates in CI for every prompt, index or model change.",
        "ml-platform",
        (20, 15, 33),
        "capability",
        (_TC, _TS),
        excludes=("vendor-eval",),
        concerns=("rag-eval",),
    ),
    _C(
        "connectors",
        "Managed connector framework",
        "Connector SDK and managed runtime with incremental sync, deletion propagation, "
        "throttling and permission mapping; first connectors SharePoint, Confluence and Google "
        "Drive.",
        "data-connectors",
        (30, 20, 54),
        "capability",
        (_TM, _TS),
        excludes=("sp-quick",),
        concerns=("doc-connectors",),
    ),
    _C(
        "audit",
        "Audit-log export API",
        "Complete, tamper-evident audit events (prompts, responses, admin actions) with "
        "retention policies and streaming export to SIEMs such as Splunk and Sentinel.",
        "trust-safety",
        (9, 8, 12),
        "capability",
        (_TC,),
        must="yes",
        concerns=("audit-export",),
    ),
    _C(
        "citations",
        "Grounded citations and hallucination guard",
        "Sentence-level grounding against retrieved sources, citation links in every answer and "
        "a configurable refuse-when-unsupported mode.",
        "ml-platform",
        (15, 10, 24),
        "capability",
        (_TC,),
        depends=("eval",),
        concerns=("citations",),
    ),
    _C(
        "prompts",
        "Prompt registry with versioning",
        "Versioned prompt templates with diffs, environment promotion, approvals, staged "
        "rollout and one-click rollback.",
        "platform-core",
        (10, 9, 13),
        "capability",
        (_TS, _TA),
        concerns=("prompt-versioning",),
    ),
    _C(
        "metering",
        "Usage metering pipeline",
        "Tenant, workspace and user level metering of tokens, tool calls and model cost as an "
        "event stream other features build on.",
        "platform-core",
        (14, 10, 18),
        "capability",
        (_TS,),
    ),
    _C(
        "cost",
        "Per-tenant cost dashboards",
        "Spend and usage dashboards per tenant, business unit and use case, with budgets, alerts "
        "and chargeback exports.",
        "platform-core",
        (8, 6, 10),
        "feature",
        (_TS, _TM),
        depends=("metering",),
        concerns=("cost-dashboards",),
    ),
    _C(
        "quotas",
        "Tenant quotas and rate-limit policies",
        "Per-team and per-workload quotas, reserved capacity for interactive traffic, queueing "
        "for batch jobs, and visible limits with alerts.",
        "platform-core",
        (12, 9, 16),
        "capability",
        (_TS,),
        depends=("metering",),
        concerns=("rate-limits",),
    ),
    _C(
        "parallel",
        "Parallel tool-call executor",
        "Agent runtime support for concurrent independent tool calls, per-tool timeouts, result "
        "streaming and connection pooling.",
        "agent-runtime",
        (14, 9, 21),
        "capability",
        (_TA,),
        concerns=("agent-latency",),
    ),
    _C(
        "workflow",
        "Agent workflow engine",
        "Durable multi-step agent workflows with pause and resume, retries and state; the base "
        "for approvals and long-running tasks.",
        "agent-runtime",
        (24, 18, 40),
        "capability",
        (_TA,),
    ),
    _C(
        "approvals",
        "Human approval steps for agent actions",
        "Approve, edit or reject queue for agent write actions, thresholds per action type, "
        "escalation and an audit trail of approvers.",
        "agent-runtime",
        (8, 6, 10),
        "capability",
        (_TA, _TC),
        depends=("workflow",),
        concerns=("hitl-approval",),
    ),
    _C(
        "mcp",
        "MCP tool server support",
        "Native Model Context Protocol client in the agent runtime: register remote MCP servers, "
        "discover tools, per-user OAuth and tool allowlists.",
        "agent-runtime",
        (12, 8, 21),
        "capability",
        (_TA,),
        depends=("workflow",),
        concerns=("mcp-tools",),
    ),
    _C(
        "multilingual",
        "Multilingual retrieval and answers",
        "Multilingual embeddings, language-aware chunking, cross-lingual retrieval and answers "
        "in the user's language.",
        "ml-platform",
        (15, 10, 22),
        "capability",
        (_TM,),
        concerns=("multilingual",),
    ),
    _C(
        "ocr",
        "Scanned-document OCR ingestion",
        "OCR with layout and table recovery for scanned and image-only PDFs in the ingestion "
        "pipeline, with confidence reporting.",
        "data-connectors",
        (9, 6, 14),
        "feature",
        (_TM,),
        depends=("connectors",),
        concerns=("doc-ocr",),
    ),
    _C(
        "salesforce",
        "Salesforce connector",
        "Managed Salesforce connector for knowledge, cases and opportunities, with write-back "
        "of activities, OAuth refresh and API-limit handling.",
        "data-connectors",
        (8, 6, 9),
        "feature",
        (_TM,),
        depends=("connectors",),
        concerns=("salesforce",),
    ),
    _C(
        "vpc",
        "Private VPC and on-prem deployment package",
        "Installable distribution for customer VPCs and air-gapped data centers with "
        "customer-managed keys, private networking and supported upgrades.",
        "platform-core",
        (36, 21, 72),
        "capability",
        (_TE, _TC),
        concerns=("vpc-deploy",),
    ),
    _C(
        "structured",
        "Structured output validation and repair",
        "Schema-constrained generation with validation, automatic repair and typed errors for "
        "extraction workloads.",
        "ml-platform",
        (6, 5, 8),
        "feature",
        (_TS,),
        concerns=("json-output",),
    ),
    _C(
        "longdoc",
        "Long-document map-reduce summarization",
        "Built-in hierarchical summarization and question answering over documents larger than "
        "the context window.",
        "ml-platform",
        (8, 6, 10),
        "feature",
        (_TM,),
        concerns=("context-limits",),
    ),
    _C(
        "sp-quick",
        "SharePoint-only quick connector",
        "A single-purpose SharePoint Online sync: fast to ship, without the general connector "
        "framework.",
        "data-connectors",
        (6, 5, 8),
        "feature",
        (_TM,),
        excludes=("connectors",),
        concerns=("doc-connectors",),
    ),
    _C(
        "okta-quick",
        "Okta SSO quick-connect",
        "Pre-built Okta integration with just-in-time user creation; no SCIM and no other "
        "identity providers.",
        "platform-core",
        (4, 3, 6),
        "feature",
        (_TM,),
        excludes=("scim",),
        concerns=("sso-scim",),
    ),
    _C(
        "vendor-eval",
        "Third-party evaluation service integration",
        "Send traces to an external evaluation vendor and show its quality scores in the admin "
        "console.",
        "ml-platform",
        (6, 5, 9),
        "feature",
        (_TC,),
        excludes=("eval",),
        concerns=("rag-eval",),
    ),
    _C(
        "pooled-ft",
        "Cross-customer fine-tuning pipeline",
        "Fine-tune a shared domain model on conversations pooled from all tenants of an industry.",
        "ml-platform",
        (27, 18, 45),
        "capability",
        (_TE,),
        concerns=("pooled-finetune",),
    ),
    _C(
        "prod-sql",
        "Production SQL execution tool for agents",
        "Lets agents run model-generated SQL, including writes, directly against customer "
        "production databases.",
        "agent-runtime",
        (9, 6, 15),
        "capability",
        (_TA,),
        must="never",
        concerns=("prod-sql-exec",),
    ),
    _C(
        "sap",
        "SAP procurement approval agent",
        "A packaged agent for SAP S/4HANA and Ariba purchase requisitions with customer-specific "
        "release strategies.",
        "agent-runtime",
        (18, 12, 36),
        "feature",
        (_TE,),
        depends=("workflow",),
        concerns=("sap-workflow",),
    ),
    _C(
        "fhir",
        "FHIR and HL7 connector",
        "Connector for FHIR R4 APIs and HL7 v2 feeds with SMART on FHIR authorization.",
        "data-connectors",
        (10, 8, 18),
        "feature",
        (_TE,),
        depends=("connectors",),
        concerns=("hl7-fhir",),
    ),
    _C(
        "cache",
        "Semantic response cache",
        "Cache answers and tool results for semantically equivalent requests to cut latency and "
        "model spend.",
        "platform-core",
        (9, 6, 18),
        "capability",
        (_TS,),
        concerns=("agent-latency",),
    ),
    _C(
        "router",
        "Cost-aware model router",
        "Route each request to the cheapest model that meets its quality bar, using evaluation "
        "results and metering.",
        "ml-platform",
        (15, 9, 27),
        "capability",
        (_TS,),
        depends=("metering", "eval"),
    ),
    _C(
        "redteam",
        "Red-team and jailbreak test suite",
        "Automated adversarial test suite for prompts and agents, run before each release.",
        "trust-safety",
        (9, 8, 12),
        "capability",
        (_TC,),
        depends=("eval",),
    ),
    _C(
        "marketplace",
        "Agent template marketplace",
        "A gallery where customers publish and install agent templates.",
        "agent-runtime",
        (15, 9, 24),
        "feature",
        (_TA, _TM),
        depends=("mcp",),
    ),
    _C(
        "darkmode",
        "Admin console dark mode",
        "A dark theme for the admin console.",
        "platform-core",
        (3, 2, 4),
        "feature",
        (_TM,),
    ),
    _C(
        "imagegen",
        "Image generation studio",
        "Generate marketing images from prompts inside the workspace.",
        "ml-platform",
        (12, 9, 18),
        "feature",
        (_TM,),
    ),
    _C(
        "vault",
        "Secrets vault for tool credentials",
        "Central, rotated storage of the credentials agent tools use, integrated with customer "
        "vaults.",
        "trust-safety",
        (8, 6, 10),
        "capability",
        (_TC, _TA),
    ),
    _C(
        "residency",
        "Data residency controls",
        "Pin storage and inference to a chosen region per tenant, with evidence for auditors.",
        "platform-core",
        (15, 12, 21),
        "capability",
        (_TC, _TE),
    ),
    _C(
        "analytics",
        "Conversation analytics for admins",
        "Topic, satisfaction and deflection analytics over conversations for workspace admins.",
        "platform-core",
        (9, 6, 13),
        "capability",
        (_TM,),
        depends=("metering",),
    ),
    _C(
        "chat-surfaces",
        "Slack and Teams chat surfaces",
        "Use the assistant from Slack and Microsoft Teams with single sign-on.",
        "agent-runtime",
        (6, 5, 8),
        "capability",
        (_TM,),
    ),
    _C(
        "acl-sync",
        "Document permission sync",
        "Mirror source-system permissions (SharePoint, Confluence, Drive) into retrieval so "
        "users only see what they may see.",
        "data-connectors",
        (12, 9, 18),
        "capability",
        (_TC,),
        depends=("connectors", "scim"),
        concerns=("doc-connectors",),
    ),
    _C(
        "synth",
        "Synthetic evaluation data generator",
        "Generate question and answer pairs from customer corpora to seed golden sets.",
        "ml-platform",
        (6, 5, 12),
        "feature",
        (_TS,),
        depends=("eval",),
        concerns=("rag-eval",),
    ),
    _C(
        "whitelabel",
        "White-label chat UI",
        "Customer-branded chat interface with custom themes and domains.",
        "platform-core",
        (8, 5, 14),
        "feature",
        (_TM,),
    ),
)
"""The hand-written candidates, most important first (``candidates`` takes a prefix)."""

_FILLER_AREAS = (
    "Admin",
    "Workspace",
    "Agent",
    "Connector",
    "Analytics",
    "Billing",
    "Notification",
    "Search",
    "Policy",
    "Template",
)
_FILLER_THINGS = (
    "bulk actions",
    "webhooks",
    "audit view",
    "CSV export",
    "role presets",
    "usage alerts",
    "sandbox mode",
    "key rotation",
    "custom fields",
    "saved views",
)

_ADDRESS_LINKS: Mapping[str, tuple[str, int]] = {
    "scim": ("sso-scim", 3),
    "sap": ("sap-workflow", 3),
    "cost": ("cost-dashboards", 2),
}
"""Candidates whose ``addresses`` cell is filled by hand: (concern, number of signal ids)."""

_SHIPPED: Mapping[str, tuple[float, str, str]] = {
    "structured": (0.30, "calls", "json-output"),
    "longdoc": (0.38, "calls", "context-limits"),
    "chat-surfaces": (0.55, "weekly_active_users", ""),
}
"""Candidates already shipped: (point in the window, usage metric, concern of the adopters)."""


class _Guardrail(NamedTuple):
    rule: str
    severity: str
    owner_role: str
    applies_to: tuple[str, ...]
    keywords: tuple[str, ...]


GUARDRAILS: tuple[_Guardrail, ...] = (
    _Guardrail(
        "Customer data must never be used to train or fine-tune a model shared across tenants; "
        "per-tenant adaptation only with explicit written consent.",
        "block",
        "ai-architect",
        ("pooled-ft",),
        (
            "fine-tune",
            "fine-tuning",
            "train on",
            "train one model",
            "train a better model",
            "pooled",
            "shared model",
            "all customers",
            "other customers",
            "other companies",
            "cross-customer",
            "all tenants",
            "peers' data",
            "base model",
            "aggregated customer data",
        ),
    ),
    _Guardrail(
        "Agents must not execute arbitrary or model-generated SQL against production databases; "
        "only parameterized, allowlisted, read-only queries on replicas.",
        "block",
        "security",
        ("prod-sql",),
        (
            "sql",
            "production database",
            "prod db",
            "write access",
            "execute",
            "dba",
            "update statements",
            "arbitrary sql",
            "text-to-sql",
        ),
    ),
    _Guardrail(
        "Personal data must be redacted or tokenized before a prompt leaves the tenant boundary.",
        "warn",
        "security",
        (),
        ("pii", "personal data", "redact", "ssn", "phi"),
    ),
    _Guardrail(
        "New integrations are built on the managed connector framework; one-off connectors need "
        "an architecture exception.",
        "warn",
        "solutions-architect",
        ("sp-quick",),
        ("connector", "custom crawler", "sync job"),
    ),
    _Guardrail(
        "Every model, prompt or retrieval change that reaches customers passes the evaluation "
        "gate first.",
        "warn",
        "ml-engineer",
        ("router",),
        ("model upgrade", "prompt change", "regression"),
    ),
    _Guardrail(
        "No customer-specific forks of the core runtime; customer logic lives in configuration "
        "or extensions.",
        "warn",
        "solutions-architect",
        ("sap", "whitelabel"),
        ("fork", "customer-specific", "custom build"),
    ),
)

_MODEL_CONSTRAINTS: tuple[tuple[str, str, str, float, str], ...] = (
    (
        "eval",
        "LLM-as-judge agrees with human labels (kappa >= 0.8) on customer golden sets",
        "yes",
        0.8,
        "Measured 0.84 on three pilot corpora.",
    ),
    (
        "citations",
        "Sentence-level grounding precision >= 95% with the current generation model",
        "partial",
        0.6,
        "About 90% today; long answers degrade.",
    ),
    (
        "pii",
        "Named-entity recall >= 98% across the eight supported languages",
        "partial",
        0.65,
        "English and German fine; Japanese and Portuguese below 90%.",
    ),
    (
        "multilingual",
        "Retrieval quality in 12 languages within 5 points of English",
        "partial",
        0.55,
        "Needs the multilingual embedding model; Asian languages not benchmarked.",
    ),
    (
        "parallel",
        "Model emits parallel tool calls with correct dependency ordering",
        "partial",
        0.7,
        "Supported by the current model; ordering errors in about 3% of traces.",
    ),
    (
        "mcp",
        "Tool selection accuracy with 50+ discovered tools in context",
        "partial",
        0.6,
        "Accuracy drops beyond about 40 tools; needs tool retrieval.",
    ),
    (
        "structured",
        "Constrained decoding for JSON schemas",
        "yes",
        0.95,
        "Native structured output in the serving stack.",
    ),
    (
        "longdoc",
        "Hierarchical summarization quality on 500-page documents",
        "yes",
        0.85,
        "The long-context model covers most cases.",
    ),
    (
        "router",
        "Quality predictor choosing the cheapest adequate model per request",
        "partial",
        0.5,
        "Research grade; needs evaluation harness data.",
    ),
    (
        "cache",
        "Semantic equivalence detection with under 1% wrong cache hits",
        "partial",
        0.45,
        "Wrong hits on questions that differ only in numbers.",
    ),
    (
        "pooled-ft",
        "Measurable accuracy gain from cross-tenant fine-tuning",
        "no",
        0.7,
        "Gains within noise in last year's experiment; data rights unresolved.",
    ),
    (
        "imagegen",
        "An image generation model in the serving stack",
        "no",
        0.9,
        "No image model licensed or hosted.",
    ),
    (
        "synth",
        "Synthetic questions good enough to replace SME-written golden sets",
        "no",
        0.6,
        "Synthetic sets overestimate quality by 10 to 15 points.",
    ),
    ("redteam", "Automated jailbreak detection coverage of known attack families", "yes", 0.75, ""),
    (
        "ocr",
        "OCR accuracy on handwritten and faxed forms",
        "partial",
        0.5,
        "Printed text fine; handwriting poor.",
    ),
    (
        "sap",
        "Reliable mapping of free-text requests to SAP material groups",
        "partial",
        0.55,
        "Works for one catalogue only after manual rules.",
    ),
    ("approvals", "Model proposes structured actions for human review", "yes", 0.9, ""),
    ("analytics", "Topic labelling of conversations", "yes", 0.8, ""),
    (
        "prod-sql",
        "Safe text-to-SQL for write operations",
        "no",
        0.85,
        "Model-generated writes cannot be made safe without human review.",
    ),
    (
        "vpc",
        "Serving the model inside customer infrastructure within latency targets",
        "partial",
        0.5,
        "Needs customer GPUs; the smaller model that fits loses quality.",
    ),
)

_ROLES = (
    "fde",
    "solutions-architect",
    "ai-architect",
    "ml-engineer",
    "platform-engineering",
    "leadership",
)
_AUTHORS: Mapping[str, str] = {
    "fde": "Priya Nair",
    "solutions-architect": "Daniel Okafor",
    "ai-architect": "Hannah Weiss",
    "ml-engineer": "Ravi Menon",
    "platform-engineering": "Marcus Bell",
    "leadership": "Elena Rossi",
}
_STANCES: tuple[tuple[str, str, int, str], ...] = (
    ("fde", "scim", 2, "Rebuilt the SCIM bridge at most deployments this year."),
    ("platform-engineering", "scim", 1, "Well understood; fits platform-core capacity."),
    ("fde", "connectors", 2, "Every deployment starts with a hand-written connector."),
    (
        "platform-engineering",
        "connectors",
        -1,
        "Large and uncertain; would rather ship the SharePoint-only connector first.",
    ),
    ("fde", "sap", 2, "Our biggest account; FDE time is burning on this every week."),
    (
        "solutions-architect",
        "sap",
        -2,
        "A single customer's workflow; it belongs in a customer extension, not the core.",
    ),
    ("leadership", "pooled-ft", 2, "Cross-customer learning is the moat story for investors."),
    ("ai-architect", "pooled-ft", -2, "Violates the tenant data isolation guardrail."),
    ("ml-engineer", "pooled-ft", -1, "Data rights unclear and the gains are unproven."),
    ("leadership", "vpc", 2, "Unlocks the regulated enterprise deals in the pipeline."),
    (
        "platform-engineering",
        "vpc",
        -2,
        "Doubles the surface we operate; every self-hosted install drifts.",
    ),
    ("ml-engineer", "eval", 2, "We cannot ship model upgrades safely without it."),
    ("ai-architect", "eval", 1, "Foundation for citations, routing and red-teaming."),
    ("ml-engineer", "vendor-eval", -1, "Vendor scores do not match our customers' domains."),
    ("leadership", "cost", 1, "Cost visibility for customers and for our own margins."),
    ("solutions-architect", "pii", 2, "Every regulated design review asks for it."),
    ("ai-architect", "citations", 2, "Grounding is what makes answers defensible."),
    ("leadership", "mcp", 2, "Agentic ecosystem bet; customers are asking right now."),
    ("platform-engineering", "mcp", 1, "Small if the workflow engine lands first."),
    ("fde", "prod-sql", 1, "Customers keep asking; we say no every single time."),
    ("ai-architect", "prod-sql", -2, "Arbitrary SQL on production is a hard no."),
    ("leadership", "imagegen", 1, "Marketing wants a visual demo for the launch event."),
    ("ml-engineer", "imagegen", -1, "There is no image model in our stack."),
)
_ROLE_RATIONALES: Mapping[str, Mapping[int, str]] = {
    "fde": {
        1: "Would remove recurring bespoke work in the field.",
        0: "Comes up now and then; no strong view.",
        -1: "Rarely comes up in deployments.",
    },
    "solutions-architect": {
        1: "Fits the reference architecture and is reusable.",
        0: "Neutral on architecture impact.",
        -1: "Adds surface we would have to support in every design.",
    },
    "ai-architect": {
        1: "Strengthens the platform's AI building blocks.",
        0: "No architectural concerns.",
        -1: "Couples us to one model's behaviour.",
    },
    "ml-engineer": {
        1: "Feasible with the current model stack.",
        0: "Feasibility depends on data we have not seen.",
        -1: "Model quality is not there yet.",
    },
    "platform-engineering": {
        1: "Straightforward to build and operate.",
        0: "Fits if capacity allows.",
        -1: "Competes with reliability work for the same team.",
    },
    "leadership": {
        1: "Supports one of this year's bets.",
        0: "Not central to the strategy.",
        -1: "A distraction from the bets we made.",
    },
}
_RANDOM_STANCES_PER_ROLE = 4


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


class _RowWriter(Protocol):
    """What the generator needs from a ``csv.writer``."""

    def writerow(self, row: Iterable[Any], /) -> Any:
        """Write one row."""


def _rng(seed: int, stream: str) -> random.Random:
    """A generator for one named stream, independent of the other streams of the seed."""
    return random.Random(f"controltower-sample:{seed}:{stream}")


def _np_rng(seed: int, stream: str) -> np.random.Generator:
    """A numpy generator for one named stream of the seed."""
    return np.random.default_rng(_rng(seed, stream).getrandbits(64))


def _cumulative(weights: Sequence[float]) -> tuple[float, ...]:
    """Cumulative weights for :func:`_pick`."""
    return tuple(accumulate(float(w) for w in weights))


def _pick(cumulative: Sequence[float], rng: random.Random) -> int:
    """Index drawn with probability proportional to the weights behind ``cumulative``.

    ``random()`` is below 1, so the product stays below the total and the index in range;
    zero-width steps (zero weights) are never drawn.
    """
    return bisect.bisect_right(cumulative, rng.random() * cumulative[-1])


def _choice(items: Sequence[str], rng: random.Random) -> str:
    """A uniformly drawn item (cheaper than ``random.choice`` in hot loops)."""
    return items[int(rng.random() * len(items))]


def _lognormal(median: float, sigma: float, low: float, high: float, rng: random.Random) -> float:
    """A lognormal draw around ``median``, clipped to ``[low, high]``."""
    return min(high, max(low, median * math.exp(sigma * rng.gauss(0.0, 1.0))))


def _add_months(day: date, months: int) -> date:
    """The same day of the month ``months`` later (clamped to the month's length)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last = (next_month - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def _number(value: float) -> str:
    """A number as written in the CSV files (no trailing ``.0``)."""
    return f"{value:g}"


def _width(count: int, minimum: int) -> int:
    """Digits of a zero-padded id sequence of ``count`` items."""
    return max(minimum, len(str(count)))


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write a CSV file row by row and return the number of data rows."""
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            written += 1
    return written


def _open_csv(stack: ExitStack, path: Path | None, header: Sequence[str]) -> _RowWriter | None:
    """Open a CSV writer on ``path`` inside ``stack`` (None when ``path`` is None)."""
    if path is None:
        return None
    handle = stack.enter_context(path.open("w", encoding="utf-8", newline=""))
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(header)
    return writer


# --------------------------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Phrasebook:
    """The parsed corpora.

    Attributes:
        voices: Concern -> voice -> signal templates.
        also: Concern -> short second-mention templates.
        noise: (tag, template) of signals that belong to no concern.
        work: Concern (or ``noise``) -> custom-work description templates.
    """

    voices: Mapping[str, Mapping[str, tuple[str, ...]]]
    also: Mapping[str, tuple[str, ...]]
    noise: tuple[tuple[str, str], ...]
    work: Mapping[str, tuple[str, ...]]

    def for_source(self, concern: str, source: str) -> tuple[str, ...]:
        """The templates of ``concern`` whose voice fits ``source``."""
        voices = self.voices[concern]
        return tuple(text for voice in _SOURCE_VOICES[source] for text in voices.get(voice, ()))


def _parse_sections(text: str) -> dict[str, list[tuple[str, str]]]:
    """Parse a corpus into section -> [(tag, text)] (see the corpus format above)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    entries: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("== "):
            entries = sections.setdefault(line[3:].strip(), [])
        elif line[0].isspace():
            tag, body = entries[-1]
            entries[-1] = (tag, f"{body} {line.strip()}")
        elif line.startswith("- "):
            entries.append(("-", line[2:].strip()))
        else:
            tag, _, body = line.partition(": ")
            entries.append((tag, body.strip()))
    return sections


def _group_by_tag(entries: Sequence[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """Templates of one section grouped by tag, in corpus order."""
    grouped: dict[str, list[str]] = {}
    for tag, text in entries:
        grouped.setdefault(tag, []).append(text)
    return {tag: tuple(texts) for tag, texts in grouped.items()}


@functools.cache
def _phrasebook() -> _Phrasebook:
    """The corpora, parsed once."""
    signals = _parse_sections(_SIGNAL_CORPUS)
    work = _parse_sections(_WORK_CORPUS)
    voices = {key: _group_by_tag(entries) for key, entries in signals.items() if key != NOISE}
    return _Phrasebook(
        voices=voices,
        also={key: grouped.get("also", ()) for key, grouped in voices.items()},
        noise=tuple(signals[NOISE]),
        work={key: tuple(text for _, text in entries) for key, entries in work.items()},
    )


class _Slots(dict[str, str]):
    """Template slots of one account: fixed system names, random numbers drawn on demand."""

    def __init__(self, fixed: Mapping[str, str], rng: random.Random) -> None:
        super().__init__(fixed)
        self._rng = rng

    def __missing__(self, key: str) -> str:
        low, high, step = _NUMBER_SLOTS[key]
        return str(low + step * int(self._rng.random() * ((high - low) // step + 1)))


# --------------------------------------------------------------------------------------------
# The world: window, accounts, deployments, concern pools
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    """The evidence window, one entry per day."""

    start: date
    end: date
    iso: tuple[str, ...]
    weekend: tuple[bool, ...]

    @classmethod
    def of(cls, start: date, months: int) -> _Window:
        """The window of ``months`` months from ``start``."""
        end = _add_months(start, months) - timedelta(days=1)
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        return cls(
            start, end, tuple(d.isoformat() for d in days), tuple(d.weekday() >= 5 for d in days)
        )

    @property
    def days(self) -> int:
        """Number of days in the window."""
        return len(self.iso)

    def date(self, day: int) -> date:
        """The date of day index ``day``."""
        return self.start + timedelta(days=day)

    def day_of(self, fraction: float) -> int:
        """The day index at ``fraction`` (0..1) of the window."""
        return min(self.days - 1, max(0, int(fraction * self.days)))


def period_labels(end: date, count: int) -> tuple[str, ...]:
    """``count`` quarter labels starting the quarter after the one holding ``end``.

    Args:
        end: The last day of the evidence window.
        count: How many periods.

    Returns:
        Labels like ``2027-Q1``.
    """
    index = end.year * 4 + (end.month - 1) // 3 + 1
    return tuple(f"{q // 4}-Q{q % 4 + 1}" for q in range(index, index + count))


@dataclass(frozen=True)
class _Account:
    """A generated customer account."""

    index: int
    account_id: str
    name: str
    segment: str
    industry: str
    tier: int
    arr: int
    region: str
    renewal: date
    health: float
    activity: float
    fixed: Mapping[str, str]


@dataclass(frozen=True)
class _Deployment:
    """A generated FDE deployment (days are indexes into the window)."""

    deployment_id: str
    account: int
    start: int
    end: int | None
    status: str
    phase: str
    base_hours: int


@dataclass(frozen=True)
class _Pool:
    """Accounts a concern comes from, with their relative rates."""

    members: tuple[int, ...]
    cumulative: tuple[float, ...]

    def pick(self, rng: random.Random) -> int:
        """Draw one account index."""
        return self.members[_pick(self.cumulative, rng)]


@dataclass(frozen=True)
class _World:
    """Everything the files are written from (small: it scales with accounts, not signals)."""

    seed: int
    window: _Window
    accounts: tuple[_Account, ...]
    deployments: tuple[_Deployment, ...]
    by_account: tuple[tuple[_Deployment, ...], ...]
    starts: tuple[tuple[int, ...], ...]
    pools: tuple[_Pool, ...]
    work_pools: tuple[_Pool, ...]
    noise_pool: _Pool
    anchors: Mapping[str, int]
    teams: tuple[str, ...]
    periods: tuple[str, ...]
    emerging_days: int

    def deployment_at(self, account: int, day: int) -> _Deployment | None:
        """The latest deployment of ``account`` started on or before ``day``."""
        index = bisect.bisect_right(self.starts[account], day) - 1
        return self.by_account[account][index] if index >= 0 else None


def _segment_quota(count: int, rng: random.Random) -> list[str]:
    """Segments in the target proportions (at least one enterprise), shuffled."""
    enterprise = max(1, round(count * _SEGMENT_SHARE[0]))
    smb = min(count - enterprise, round(count * _SEGMENT_SHARE[2]))
    segments = ["enterprise"] * enterprise + ["smb"] * smb
    segments += ["mid-market"] * (count - len(segments))
    rng.shuffle(segments)
    return segments


class _Namer:
    """Unique, plausible company names."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def name(self, industry: str) -> tuple[str, str]:
        """A new (name, short name) for a company of ``industry``."""
        forms = _NAME_FORMS[industry]
        for attempt in range(40):
            root = _choice(_NAME_ROOTS, self._rng)
            name = _choice(forms, self._rng).format(r=root)
            if attempt >= 30:
                name = f"{name} Group {len(self._used) + 1}"
            if name not in self._used:
                self._used.add(name)
                return name, root
        raise AssertionError("unreachable: numbered names are unique")


def _fixed_slots(short: str, industry: str, region: str, rng: random.Random) -> dict[str, str]:
    """The systems, language and people one account's notes mention."""
    slots = {key: _choice(values, rng) for key, values in _SYSTEMS.items()}
    languages = _LANGUAGES[region]
    first = _choice(languages, rng)
    others = [lang for lang in (*languages, "English") if lang != first]
    slots.update(
        acct=short,
        industry=industry,
        dept=_choice(_DEPARTMENTS[industry], rng),
        lang=first,
        lang2=_choice(others, rng),
    )
    return slots


def _make_account(
    index: int, segment: str, namer: _Namer, window: _Window, width: int, rng: random.Random
) -> _Account:
    """One account of ``segment``."""
    industry = rng.choices(_INDUSTRIES, _INDUSTRY_WEIGHTS)[0]
    region = rng.choices(_REGIONS, _REGION_WEIGHTS)[0]
    name, short = namer.name(industry)
    median, sigma, low, high = _ARR[segment]
    return _Account(
        index=index,
        account_id=f"acc-{index + 1:0{width}d}",
        name=name,
        segment=segment,
        industry=industry,
        tier=rng.choices((1, 2, 3), _TIER_WEIGHTS[segment])[0],
        arr=int(round(_lognormal(median, sigma, low, high, rng), -3)),
        region=region,
        renewal=window.end + timedelta(days=rng.randint(1, 365)),
        health=round(min(0.99, max(0.05, rng.betavariate(4, 2))), 2),
        activity=_ACTIVITY[segment] * _lognormal(1.0, 0.5, 0.2, 5.0, rng),
        fixed=_fixed_slots(short, industry, region, rng),
    )


def _make_accounts(count: int, window: _Window, rng: random.Random) -> list[_Account]:
    """``count`` accounts with segments in proportion and skewed ARR."""
    namer = _Namer(rng)
    width = _width(count, 4)
    return [
        _make_account(i, segment, namer, window, width, rng)
        for i, segment in enumerate(_segment_quota(count, rng))
    ]


def _pick_anchors(accounts: Sequence[_Account]) -> dict[str, int]:
    """The large enterprise account behind each single-account concern."""
    ranked = sorted(
        (a for a in accounts if a.segment == "enterprise"), key=lambda a: (-a.arr, a.index)
    )
    keys = [c.key for c in CONCERNS if c.profile == "single-account"]
    return {key: ranked[i % len(ranked)].index for i, key in enumerate(keys)}


def _strain_anchors(
    accounts: list[_Account], anchors: Mapping[str, int], rng: random.Random
) -> None:
    """Customization traps hurt: lower the health of the anchor accounts."""
    for index in sorted(set(anchors.values())):
        accounts[index] = replace(accounts[index], health=round(rng.uniform(0.3, 0.5), 2))


def _phase_at(start: int, end: int | None, day: int) -> str:
    """Deployment phase on ``day``: by age, ``optimization`` once completed."""
    if end is not None and day >= end:
        return "optimization"
    age = day - start
    if age < 30:
        return "discovery"
    return "implementation" if age < 120 else "optimization"


def _first_start(days: int, rng: random.Random) -> int:
    """Day an account's first deployment starts (negative: before the evidence window).

    Most accounts are the installed base, won during the year before the window; the
    others are won during it, at a rate growing linearly with time (new logos).
    """
    if rng.random() < _INSTALLED_BASE_SHARE or days < 60:
        return -rng.randint(1, 365)
    return int((days - 30) * math.sqrt(rng.random()))


def _deployment_spans(segment: str, days: int, rng: random.Random) -> list[tuple[int, int | None]]:
    """(start, end) day pairs of one account's deployments; end None while running."""
    count = rng.choices((1, 2, 3), _DEPLOYMENT_COUNT_WEIGHTS[segment])[0]
    starts = [_first_start(days, rng)]
    while len(starts) < count and starts[-1] + 45 < days - 14:
        starts.append(min(days - 14, starts[-1] + rng.randint(45, 150)))
    spans: list[tuple[int, int | None]] = []
    for i, start in enumerate(starts):
        last = i == len(starts) - 1
        finish = start + rng.randint(60, 240)
        done = (not last and rng.random() < 0.6) or (last and rng.random() < 0.1)
        spans.append((start, min(days - 1, finish) if done and finish < days else None))
    return spans


def _make_deployments(
    accounts: Sequence[_Account], days: int, rng: random.Random
) -> list[_Deployment]:
    """One to three deployments per account (more for enterprises)."""
    deployments: list[_Deployment] = []
    width = _width(3 * len(accounts), 4)
    for account in accounts:
        spans = _deployment_spans(account.segment, days, rng)
        for i, (start, end) in enumerate(spans):
            last = i == len(spans) - 1
            status = "completed" if end is not None else "active"
            if status == "active" and last and rng.random() < 0.2:
                status = "paused"
            median = _DEPLOYMENT_HOURS[account.segment]
            deployments.append(
                _Deployment(
                    deployment_id=f"dep-{len(deployments) + 1:0{width}d}",
                    account=account.index,
                    start=start,
                    end=end,
                    status=status,
                    phase=_phase_at(start, end, days - 1),
                    base_hours=int(_lognormal(median, 0.5, median / 4, median * 4, rng)),
                )
            )
    return deployments


def _affinity(concern: _Concern, account: _Account) -> float:
    """How likely ``account`` is to hit ``concern`` (0: never)."""
    weight = concern.segments[SEGMENTS.index(account.segment)]
    if concern.industries:
        weight *= 3.0 if account.industry in concern.industries else 0.3
    if concern.regions:
        weight *= 3.0 if account.region in concern.regions else 0.5
    return weight


def _weighted_sample(weights: Sequence[float], k: int, rng: random.Random) -> list[int]:
    """``k`` distinct indexes drawn in proportion to ``weights`` (zero weights never)."""
    keys = sorted(
        ((rng.random() ** (1.0 / w), i) for i, w in enumerate(weights) if w > 0), reverse=True
    )
    return sorted(i for _, i in keys[:k])


def _pool_members(concern: _Concern, accounts: Sequence[_Account], rng: random.Random) -> list[int]:
    """Indexes of the accounts that raise ``concern``."""
    weights = [_affinity(concern, a) for a in accounts]
    if concern.profile in _POOL_FRACTION:
        fraction, minimum = _POOL_FRACTION[concern.profile]
        size = max(minimum, round(fraction * len(accounts)))
    else:
        size = rng.randint(*_POOL_SIZE[concern.profile])
    if concern.profile == "niche":
        strict = [
            w if a.industry in concern.industries else 0.0
            for w, a in zip(weights, accounts, strict=True)
        ]
        if sum(1 for w in strict if w > 0) >= size:
            weights = strict
    return _weighted_sample(weights, size, rng) or [0]


def _anchored_pool(anchor: int, accounts: Sequence[_Account], rng: random.Random) -> _Pool:
    """A customization trap: the anchor raises almost everything, two others a little."""
    others = [a.index for a in accounts if a.index != anchor and a.segment != "smb"]
    extra = sorted(rng.sample(others, min(2, len(others))))
    members = (anchor, *extra)
    return _Pool(members, _anchor_weights(len(members), _ANCHOR_SHARE))


def _anchor_weights(members: int, share: float) -> tuple[float, ...]:
    """Cumulative weights giving the first member ``share`` and the others the rest."""
    rest = (1.0 - share) / (members - 1) if members > 1 else 0.0
    return _cumulative([share, *([rest] * (members - 1))])


def _rate(concern: _Concern, account: _Account) -> float:
    """How much of a concern's evidence one pool member produces.

    Big accounts produce more, except in the small fixed-size pools (emerging, forbidden,
    niche), where several accounts speak up about equally.
    """
    activity = account.activity if concern.profile in _POOL_FRACTION else 1.0
    return activity * max(_affinity(concern, account), 0.1)


def _build_pools(
    accounts: Sequence[_Account], anchors: Mapping[str, int], rng: random.Random
) -> tuple[_Pool, ...]:
    """One account pool per concern, in :data:`CONCERNS` order."""
    pools: list[_Pool] = []
    for concern in CONCERNS:
        if concern.key in anchors:
            pools.append(_anchored_pool(anchors[concern.key], accounts, rng))
            continue
        members = _pool_members(concern, accounts, rng)
        rates = [_rate(concern, accounts[i]) for i in members]
        pools.append(_Pool(tuple(members), _cumulative(rates)))
    return tuple(pools)


def _team_names(count: int) -> tuple[str, ...]:
    """``count`` team names, the known ones first."""
    return tuple(_TEAM_ORDER[i] if i < len(_TEAM_ORDER) else f"team-{i + 1}" for i in range(count))


def _build_world(
    *, seed: int, accounts: int, teams: int, periods: int, start: date, months: int
) -> _World:
    """Draw accounts, deployments and concern pools."""
    window = _Window.of(start, months)
    rng = _rng(seed, "world")
    people = _make_accounts(accounts, window, rng)
    anchors = _pick_anchors(people)
    _strain_anchors(people, anchors, rng)
    deployments = _make_deployments(people, window.days, rng)
    pools = _build_pools(people, anchors, rng)
    by_account: list[list[_Deployment]] = [[] for _ in people]
    for deployment in deployments:
        by_account[deployment.account].append(deployment)
    return _World(
        seed=seed,
        window=window,
        accounts=tuple(people),
        deployments=tuple(deployments),
        by_account=tuple(tuple(d) for d in by_account),
        starts=tuple(tuple(d.start for d in ds) for ds in by_account),
        pools=pools,
        work_pools=tuple(
            _Pool(p.members, _anchor_weights(len(p.members), _WORK_ANCHOR_SHARE))
            if c.key in anchors
            else p
            for c, p in zip(CONCERNS, pools, strict=True)
        ),
        noise_pool=_Pool(tuple(range(len(people))), _cumulative([a.activity for a in people])),
        anchors=anchors,
        teams=_team_names(teams),
        periods=period_labels(window.end, periods),
        emerging_days=min(_EMERGING_DAYS, max(7, window.days // 4)),
    )


# --------------------------------------------------------------------------------------------
# Time: how many rows per day, and which concern each is about
# --------------------------------------------------------------------------------------------


def _density(profile: str, window: _Window, emerging_days: int, weekend: float) -> np.ndarray:
    """Relative intensity of a profile over the days of the window (sums to 1)."""
    days = np.arange(window.days, dtype=float)
    t = (days + 0.5) / window.days
    if profile == "growing":
        shape = 0.1 + t
    elif profile == "fading":
        shape = 0.04 + 1.0 / (1.0 + np.exp((t - 0.4) / 0.07))
    elif profile == "emerging":
        first = window.days - emerging_days
        shape = np.where(days >= first, 1.0 + 2.0 * (days - first) / emerging_days, 0.0)
    else:
        shape = np.ones_like(t)
    shape = shape * np.where(np.array(window.weekend), weekend, 1.0)
    total = float(shape.sum())
    return shape / total if total > 0 else shape


def _weights(
    world: _World, shares: Sequence[float], noise_share: float, weekend: float
) -> np.ndarray:
    """Day x (concerns + noise) matrix of expected shares of the rows."""
    total = float(sum(shares))
    columns = [
        share
        / total
        * (1.0 - noise_share)
        * _density(c.profile, world.window, world.emerging_days, weekend)
        for c, share in zip(CONCERNS, shares, strict=True)
    ]
    columns.append(noise_share * _density("flat", world.window, world.emerging_days, weekend))
    return np.column_stack(columns)


class _DayPlan:
    """How many rows fall on each day, and a sampler of the concern of each row."""

    def __init__(self, weights: np.ndarray, total: int, rng: np.random.Generator) -> None:
        per_day = weights.sum(axis=1)
        self.counts: list[int] = rng.multinomial(total, per_day / per_day.sum()).tolist()
        self._cumulative: list[tuple[float, ...]] = [_cumulative(row) for row in weights.tolist()]

    def concern(self, day: int, rng: random.Random) -> int:
        """Index of the concern of a row on ``day`` (``len(CONCERNS)`` for noise)."""
        return _pick(self._cumulative[day], rng)


# --------------------------------------------------------------------------------------------
# Signals
# --------------------------------------------------------------------------------------------


class _Draft(NamedTuple):
    """One signal before it gets its id and date, plus its truth.

    The first eight fields are the cells of signals.csv after ``signal_id`` and ``date``.
    """

    source: str
    text: str
    account_id: str
    deployment_id: str
    role: str
    kind: str
    urgency: str
    phase: str
    concern: str
    secondary: str
    duplicate_of: str


_CELLS = 8
_URGENCY_TEXT = ("0", "1", "2", "3", "4", "5")
"""Fields of :class:`_Draft` that are cells of signals.csv."""


def _typo(text: str, rng: random.Random) -> str:
    """Drop a letter or swap two neighbours somewhere inside a word."""
    if len(text) < 8:
        return text
    for _ in range(6):
        i = rng.randrange(1, len(text) - 2)
        if text[i].isalpha() and text[i + 1].isalpha() and text[i - 1].isalpha():
            if rng.random() < 0.5:
                return text[:i] + text[i + 1 :]
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text


def _fill(template: str, slots: _Slots) -> str:
    """The template with its slots filled (skips the work when it has none)."""
    return template.format_map(slots) if "{" in template else template


def _join(first: str, second: str, rng: random.Random) -> str:
    """Two mentions in one note."""
    joiner = _choice(_JOINERS, rng)
    if joiner == ". ":
        second = second[:1].upper() + second[1:]
    return first.rstrip(" .!?") + joiner + second


_DUPLICATE_FORMS = (
    "{}",
    "{}",
    "{}",
    "FW: {}",
    "FW: {}",
    "Fwd: {}",
    "RE: {}",
    "{} (resending, no reply yet)",
    "{} (same as before)",
)


class _SignalFactory:
    """Builds one signal at a time from precomputed fragments (no per-row heavy work)."""

    def __init__(self, world: _World, rng: random.Random) -> None:
        book = _phrasebook()
        self._world = world
        self._rng = rng
        self._slots = [_Slots(a.fixed, rng) for a in world.accounts]
        self._ids = [a.account_id for a in world.accounts]
        self._strained = frozenset(a.index for a in world.accounts if a.health < 0.45)
        self._templates = [[book.for_source(c.key, s) for s in SOURCES] for c in CONCERNS]
        self._also = [book.also[c.key] for c in CONCERNS]
        self._noise = book.noise
        self._sources = {key: _cumulative(w) for key, w in _SOURCE_WEIGHTS.items()}
        self._kinds = {
            nature: {source: _cumulative(_KIND_WEIGHTS[nature, source]) for source in SOURCES}
            for nature in ("request", "problem")
        }
        self._urgency = {key: _cumulative(w) for key, w in _URGENCY_WEIGHTS.items()}
        self._roles = {
            s: ([r for r, _ in roles], _cumulative([w for _, w in roles]))
            for s, roles in _AUTHOR_ROLES.items()
        }
        self._secondary = [i for i, c in enumerate(CONCERNS) if c.profile in _SECONDARY_PROFILES]

    def concern(self, day: int, index: int) -> _Draft:
        """A signal about concern ``index`` on ``day``."""
        rng = self._rng
        concern = CONCERNS[index]
        account = self._world.pools[index].pick(rng)
        source = SOURCES[_pick(self._sources[concern.nature], rng)]
        kind, urgency = self._kind(concern.nature, source, account)
        text, secondary = self._body(index, source, account)
        deployment, phase = self._deployment(account, day, source)
        return _Draft(
            source,
            self._dress(text, source, kind, urgency, account),
            self._ids[account],
            deployment,
            self._role(source),
            kind,
            _URGENCY_TEXT[urgency],
            phase,
            concern.key,
            secondary,
            "",
        )

    def noise(self, day: int) -> _Draft:
        """A note that belongs to no concern: praise, admin, scheduling, one-offs."""
        rng = self._rng
        account = self._world.noise_pool.pick(rng)
        source = SOURCES[_pick(self._sources[NOISE], rng)]
        tag, template = self._noise[int(rng.random() * len(self._noise))]
        kind = "praise" if tag == "praise" else "request"
        urgency = 1 if kind == "praise" else 1 + int(rng.random() * 2)
        text = template.format_map(self._slots[account])
        deployment, phase = self._deployment(account, day, source)
        return _Draft(
            source,
            self._dress(text, source, kind, urgency, account),
            self._ids[account],
            deployment,
            self._role(source),
            kind,
            _URGENCY_TEXT[urgency],
            phase,
            NOISE,
            "",
            "",
        )

    def duplicate(self, original_id: str, original: _Draft) -> _Draft:
        """The same note pasted again (or forwarded) under a new id."""
        form = _choice(_DUPLICATE_FORMS, self._rng)
        return original._replace(
            text=form.format(original.text), duplicate_of=original.duplicate_of or original_id
        )

    def _kind(self, nature: str, source: str, account: int) -> tuple[str, int]:
        rng = self._rng
        churn = account in self._strained and source in _CHURN_SOURCES and rng.random() < 0.25
        kind = "churn-risk" if churn else KINDS[_pick(self._kinds[nature][source], rng)]
        urgency = 1 + _pick(self._urgency[kind], rng)
        return kind, max(urgency, 4) if source == "incident" else urgency

    def _body(self, index: int, source: str, account: int) -> tuple[str, str]:
        rng = self._rng
        slots = self._slots[account]
        templates = self._templates[index][SOURCES.index(source)]
        text = templates[int(rng.random() * len(templates))].format_map(slots)
        if source not in _MIXED_SOURCES or rng.random() >= _MIXED_SHARE:
            return text, ""
        other = self._secondary[int(rng.random() * len(self._secondary))]
        if other == index:
            return text, ""
        mention = _choice(self._also[other], rng).format_map(slots)
        return _join(text, mention, rng), CONCERNS[other].key

    def _dress(self, text: str, source: str, kind: str, urgency: int, account: int) -> str:
        rng = self._rng
        slots = self._slots[account]
        prefix = _fill(_choice(_PREFIXES[source], rng), slots)
        if source == "support-ticket" and rng.random() < 0.35:
            prefix = f"[P{min(4, 6 - urgency)}] {prefix}"
        elif urgency == 5 and source != "incident" and rng.random() < 0.3:
            prefix = f"URGENT: {prefix}"
        elif source == "incident" and rng.random() < 0.5:
            prefix = f"Sev{min(3, 6 - urgency)}: {prefix}"
        extra = _fill(_choice(_SUFFIXES[source], rng), slots)
        if kind == "churn-risk":
            extra += _choice(_CHURN_NOTES, rng)
        if source in _TAIL_SOURCES and rng.random() < _TAIL_SHARE:
            extra += _fill(_choice(_TAILS, rng), slots)
        if extra:
            text = text if text[-1] in ".!?" else f"{text}."
        return self._scuff(f"{prefix}{text}{extra}", source)

    def _scuff(self, text: str, source: str) -> str:
        roll = self._rng.random()
        if roll < _TYPO_SHARE:
            return _typo(text, self._rng)
        roll -= _TYPO_SHARE
        if roll < _LOWERCASE[source]:
            return text.lower()
        roll -= _LOWERCASE[source]
        return text.upper() if roll < _SHOUTING[source] else text

    def _deployment(self, account: int, day: int, source: str) -> tuple[str, str]:
        deployment = self._world.deployment_at(account, day)
        if deployment is None:
            return "", "discovery"
        phase = _phase_at(deployment.start, deployment.end, day)
        linked = self._rng.random() < _DEPLOYMENT_LINK[source]
        return (deployment.deployment_id if linked else ""), phase

    def _role(self, source: str) -> str:
        roles, cumulative = self._roles[source]
        return roles[_pick(cumulative, self._rng)] if len(roles) > 1 else roles[0]


def _signal_rows(
    world: _World, count: int, truth: _RowWriter | None, addressed: dict[str, list[str]]
) -> Iterator[list[str]]:
    """Stream the rows of signals.csv in date order, writing the truth alongside.

    Args:
        world: The generated world.
        count: Signals to generate.
        truth: Writer of the truth rows, or None.
        addressed: Concern -> list to fill with the first signal ids about that concern.

    Yields:
        One row of cells per signal.
    """
    rng = _rng(world.seed, "signals")
    weights = _weights(world, [c.share for c in CONCERNS], _NOISE_SIGNAL_SHARE, weekend=0.3)
    plan = _DayPlan(weights, count, _np_rng(world.seed, "signal-days"))
    factory = _SignalFactory(world, rng)
    recent: deque[tuple[str, _Draft]] = deque(maxlen=_RECENT_SIGNALS)
    width = _width(count, 6)
    noise = len(CONCERNS)
    number = 0
    for day, rows in enumerate(plan.counts):
        iso = world.window.iso[day]
        for _ in range(rows):
            number += 1
            signal_id = f"sig-{number:0{width}d}"
            if recent and rng.random() < _DUPLICATE_SHARE:
                draft = factory.duplicate(*recent[int(rng.random() * len(recent))])
            else:
                index = plan.concern(day, rng)
                draft = factory.noise(day) if index == noise else factory.concern(day, index)
            recent.append((signal_id, draft))
            if draft.concern in addressed:
                _note_address(addressed[draft.concern], signal_id, draft)
            if truth is not None:
                truth.writerow((signal_id, *draft[_CELLS:]))
            yield [signal_id, iso, *draft[:_CELLS]]


def _note_address(ids: list[str], signal_id: str, draft: _Draft) -> None:
    """Keep the first few original (not duplicated) signal ids of a concern."""
    if not draft.duplicate_of and len(ids) < 3:
        ids.append(signal_id)


# --------------------------------------------------------------------------------------------
# Custom work and deployments
# --------------------------------------------------------------------------------------------


def _custom_work_rows(
    world: _World, count: int, truth: _RowWriter | None, hours: dict[str, int]
) -> Iterator[list[str]]:
    """Stream the rows of custom_work.csv, summing the hours per deployment into ``hours``.

    Args:
        world: The generated world.
        count: Notes to generate.
        truth: Writer of the truth rows, or None.
        hours: Deployment id -> custom-work hours, filled as rows are made.

    Yields:
        One row of cells per custom-work note.
    """
    rng = _rng(world.seed, "custom-work")
    weights = _weights(world, [c.work_share for c in CONCERNS], _NOISE_WORK_SHARE, weekend=0.2)
    plan = _DayPlan(weights, count, _np_rng(world.seed, "custom-work-days"))
    work = _phrasebook().work
    slots = [_Slots(a.fixed, rng) for a in world.accounts]
    width = _width(count, 4)
    number = 0
    for day, rows in enumerate(plan.counts):
        for _ in range(rows):
            number += 1
            work_id = f"cw-{number:0{width}d}"
            index = plan.concern(day, rng)
            concern = CONCERNS[index] if index < len(CONCERNS) else None
            pool = world.work_pools[index] if concern is not None else world.noise_pool
            account = pool.pick(rng)
            key = concern.key if concern is not None else NOISE
            deployment = world.deployment_at(account, day) or world.by_account[account][0]
            median, sigma = _WORK_HOURS[concern.profile if concern is not None else NOISE]
            spent = round(_lognormal(median, sigma, 4, 200, rng))
            hours[deployment.deployment_id] = hours.get(deployment.deployment_id, 0) + spent
            if truth is not None:
                truth.writerow((work_id, key))
            yield [
                work_id,
                world.accounts[account].account_id,
                world.window.iso[max(day, deployment.start)],
                _choice(work[key], rng).format_map(slots[account]),
                str(spent),
                deployment.deployment_id,
                concern.component if concern else "misc",
            ]


def _deployment_rows(world: _World, hours: Mapping[str, int]) -> Iterator[list[str]]:
    """Rows of deployments.csv; FDE hours include the custom work logged on each."""
    for d in world.deployments:
        yield [
            d.deployment_id,
            world.accounts[d.account].account_id,
            d.phase,
            world.window.date(d.start).isoformat(),
            str(d.base_hours + hours.get(d.deployment_id, 0)),
            world.window.date(d.end).isoformat() if d.end is not None else "",
            d.status,
        ]


def _account_rows(world: _World) -> Iterator[list[str]]:
    """Rows of accounts.csv."""
    for a in world.accounts:
        yield [
            a.account_id,
            a.name,
            a.segment,
            a.industry,
            str(a.tier),
            str(a.arr),
            a.region,
            a.renewal.isoformat(),
            f"{a.health:.2f}",
        ]


# --------------------------------------------------------------------------------------------
# Capabilities and the files that refer to them
# --------------------------------------------------------------------------------------------


def _filler(number: int) -> _Candidate:
    """A made-up small candidate beyond the catalog (addresses nothing in the evidence)."""
    area = _FILLER_AREAS[number % len(_FILLER_AREAS)]
    thing = _FILLER_THINGS[(number // len(_FILLER_AREAS)) % len(_FILLER_THINGS)]
    version = number // (len(_FILLER_AREAS) * len(_FILLER_THINGS))
    name = f"{area} {thing}" + (f" v{version + 1}" if version else "")
    weeks = 2 + number * 7 % 9
    return _Candidate(
        key=f"filler-{number}",
        name=name,
        description=f"{thing.capitalize()} for the {area.lower()} area.",
        team=_TEAM_ORDER[number % 5],
        effort=(weeks, max(1, weeks - 1), weeks + 1 + number % 4),
        kind="capability" if number % 3 == 0 else "feature",
        themes=(_THEMES[number % len(_THEMES)][0],),
    )


@dataclass(frozen=True)
class _Catalog:
    """The candidates of this bundle and their ids."""

    candidates: tuple[_Candidate, ...]
    ids: Mapping[str, str]

    @classmethod
    def of(cls, count: int) -> _Catalog:
        """The first ``count`` catalog candidates, padded with fillers."""
        chosen = list(CATALOG[:count])
        chosen += [_filler(i) for i in range(count - len(chosen))]
        width = _width(count, 2)
        return cls(tuple(chosen), {c.key: f"cap-{i + 1:0{width}d}" for i, c in enumerate(chosen)})

    def refs(self, keys: Iterable[str]) -> str:
        """The ``;`` list of ids of those ``keys`` that are in this bundle."""
        return ";".join(self.ids[k] for k in keys if k in self.ids)


def _team_of(candidate: _Candidate, teams: Sequence[str]) -> str:
    """The candidate's team, folded onto the teams this bundle has."""
    if candidate.team in teams:
        return candidate.team
    return teams[_TEAM_ORDER.index(candidate.team) % len(teams)]


def _shipped_day(world: _World, key: str) -> int | None:
    """Day a shipped candidate went live, or None."""
    shipped = _SHIPPED.get(key)
    return world.window.day_of(shipped[0]) if shipped else None


def _capability_rows(
    world: _World, catalog: _Catalog, addressed: Mapping[str, list[str]]
) -> Iterator[list[str]]:
    """Rows of capabilities.csv (with the extra ``shipped`` column)."""
    for c in catalog.candidates:
        weeks, low, high = c.effort
        link = _ADDRESS_LINKS.get(c.key)
        addresses = ";".join(addressed.get(link[0], [])[: link[1]]) if link else ""
        shipped = _shipped_day(world, c.key)
        yield [
            catalog.ids[c.key],
            c.name,
            c.description,
            _team_of(c, world.teams),
            _number(weeks),
            _number(low),
            _number(high),
            c.kind,
            ";".join(c.themes),
            catalog.refs(c.depends),
            catalog.refs(c.excludes),
            c.must,
            addresses,
            world.window.iso[shipped] if shipped is not None else "",
        ]


def _team_rows(world: _World) -> Iterator[list[str]]:
    """Rows of teams.csv: every team in every planning period."""
    rng = _rng(world.seed, "teams")
    for team in world.teams:
        base = _TEAM_BASE.get(team, 12)
        for period in world.periods:
            yield [team, period, str(min(40, max(10, base + rng.randint(-4, 4))))]


def _guardrail_rows(catalog: _Catalog) -> Iterator[list[str]]:
    """Rows of guardrails.csv."""
    for i, g in enumerate(GUARDRAILS):
        yield [
            f"gr-{i + 1:02d}",
            g.rule,
            g.severity,
            g.owner_role,
            catalog.refs(g.applies_to),
            ";".join(g.keywords),
        ]


def _model_constraint_rows(catalog: _Catalog) -> Iterator[list[str]]:
    """Rows of model_constraints.csv: the hand-written ones, plus some for fillers."""
    for key, requirement, feasibility, confidence, note in _MODEL_CONSTRAINTS:
        if key in catalog.ids:
            yield [catalog.ids[key], requirement, feasibility, _number(confidence), note]
    for c in catalog.candidates[len(CATALOG) :]:
        if int(c.key.rsplit("-", 1)[1]) % 2 == 0:
            yield [
                catalog.ids[c.key],
                "No model dependency beyond the current stack",
                "yes",
                "0.9",
                "",
            ]


def _theme_rows() -> Iterator[list[str]]:
    """Rows of themes.csv (weights sum to 1)."""
    for theme, weight, description in _THEMES:
        yield [theme, _number(weight), description]


def _stance_rows(world: _World, catalog: _Catalog) -> Iterator[list[str]]:
    """Rows of stances.csv: the hand-written stances plus mild ones drawn per role."""
    rng = _rng(world.seed, "stances")
    taken: dict[str, set[str]] = {role: set() for role in _ROLES}
    for role, key, stance, rationale in _STANCES:
        if key in catalog.ids:
            taken[role].add(key)
            yield [role, catalog.ids[key], str(stance), rationale, _AUTHORS[role]]
    for role in _ROLES:
        free = [c.key for c in catalog.candidates if c.key not in taken[role]]
        for key in sorted(
            rng.sample(free, min(_RANDOM_STANCES_PER_ROLE, len(free))), key=lambda k: catalog.ids[k]
        ):
            stance = rng.choices((-1, 0, 1), (0.3, 0.3, 0.4))[0]
            yield [
                role,
                catalog.ids[key],
                str(stance),
                _ROLE_RATIONALES[role][stance],
                _AUTHORS[role],
            ]


def _month_starts(window: _Window, after: int) -> list[int]:
    """Day indexes of the first day of each month strictly after day ``after``."""
    first = window.date(after)
    month = _add_months(date(first.year, first.month, 1), 1)
    days: list[int] = []
    while month <= window.end:
        days.append((month - window.start).days)
        month = _add_months(month, 1)
    return days


def _adopters(world: _World, concern: str, rng: random.Random) -> list[int]:
    """Accounts that adopt a shipped capability: those who asked first, then a few more."""
    asked = list(world.pools[[c.key for c in CONCERNS].index(concern)].members) if concern else []
    rng.shuffle(asked)
    others = [a.index for a in world.accounts if a.index not in asked]
    rng.shuffle(others)
    return sorted((asked[:6] + others)[: min(8, len(world.accounts))])


def _usage_rows(world: _World, catalog: _Catalog) -> Iterator[list[str]]:
    """Rows of usage.csv: monthly usage of the shipped candidates at adopting accounts."""
    rng = _rng(world.seed, "usage")
    for key, (_, metric, concern) in _SHIPPED.items():
        shipped = _shipped_day(world, key)
        if key not in catalog.ids or shipped is None:
            continue
        months = _month_starts(world.window, shipped)
        for account in _adopters(world, concern, rng):
            start = rng.randint(0, 4)
            base = _lognormal(2000 if metric == "calls" else 40, 0.6, 5, 1e6, rng)
            growth = 1.35 if metric == "calls" else 1.15
            for step, day in enumerate(months[start:]):
                value = base * growth**step * rng.uniform(0.85, 1.15)
                yield [
                    world.window.iso[day],
                    world.accounts[account].account_id,
                    catalog.ids[key],
                    metric,
                    str(int(value)),
                ]


# --------------------------------------------------------------------------------------------
# Truth and settings
# --------------------------------------------------------------------------------------------


def _concern_truth_rows(world: _World) -> Iterator[list[str]]:
    """Rows of .truth/concerns.csv."""
    for c in CONCERNS:
        anchor = world.anchors.get(c.key)
        yield [
            c.key,
            c.profile,
            c.label,
            world.accounts[anchor].account_id if anchor is not None else "",
        ]


def _capability_truth_rows(catalog: _Catalog) -> Iterator[list[str]]:
    """Rows of .truth/capabilities.csv: the concerns each candidate was written for."""
    for c in catalog.candidates:
        yield [catalog.ids[c.key], ";".join(c.concerns)]


def _write_workspace_toml(folder: Path, periods: Sequence[str]) -> None:
    """Write workspace.toml with the planning periods only."""
    labels = ", ".join(f'"{p}"' for p in periods)
    (folder / "workspace.toml").write_text(
        f"[planning]\nperiods = [{labels}]\n", encoding="utf-8", newline="\n"
    )


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def _check_arguments(**counts: int) -> None:
    """Refuse counts the generator cannot honour.

    Raises:
        InputError: Naming every bad argument.
    """
    minimum = {
        "accounts": 1,
        "signals": 0,
        "custom_work": 0,
        "candidates": 1,
        "teams": 1,
        "periods": 1,
        "months": 1,
    }
    bad = [
        f"{name} must be at least {minimum[name]} (got {value})"
        for name, value in counts.items()
        if value < minimum[name]
    ]
    if bad:
        raise InputError("; ".join(bad))


def write_sample_bundle(
    out_dir: Path,
    *,
    accounts: int = 80,
    signals: int = 3000,
    custom_work: int = 400,
    candidates: int = 40,
    teams: int = 5,
    periods: int = 4,
    seed: int = 7,
    start: date = date(2026, 1, 1),
    months: int = 12,
    write_truth: bool = False,
) -> SampleSummary:
    """Write a realistic, deterministic workspace bundle to ``out_dir``.

    Signals are streamed to disk as they are made, so memory does not grow with ``signals``.
    The same arguments always give byte-identical files.

    Args:
        out_dir: Folder to write to (created if missing; files in it are overwritten).
        accounts: Customer accounts.
        signals: Rows of signals.csv.
        custom_work: Rows of custom_work.csv.
        candidates: Rows of capabilities.csv (the catalog holds 40; more are fillers).
        teams: Teams, each with a capacity in every planning period.
        periods: Planning periods (quarters after the evidence window).
        seed: Random seed.
        start: First day of the evidence window.
        months: Length of the evidence window in months.
        write_truth: Also write the ground truth (the concern of every signal and custom-work
            note, the profile of every concern) to ``out_dir/.truth``.

    Returns:
        The folder, the rows written per CSV file and the truth folder (if written).

    Raises:
        InputError: When a count is out of range.
    """
    _check_arguments(
        accounts=accounts,
        signals=signals,
        custom_work=custom_work,
        candidates=candidates,
        teams=teams,
        periods=periods,
        months=months,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    truth = out / TRUTH_DIR if write_truth else None
    if truth is not None:
        truth.mkdir(exist_ok=True)
    world = _build_world(
        seed=seed, accounts=accounts, teams=teams, periods=periods, start=start, months=months
    )
    catalog = _Catalog.of(candidates)
    addressed: dict[str, list[str]] = {concern: [] for concern, _ in _ADDRESS_LINKS.values()}
    hours: dict[str, int] = {}
    with ExitStack() as stack:
        signal_truth = _open_csv(stack, truth and truth / "signals_truth.csv", SIGNAL_TRUTH_COLUMNS)
        work_truth = _open_csv(stack, truth and truth / "custom_work_truth.csv", WORK_TRUTH_COLUMNS)
        signal_rows = _write_csv(
            out / "signals.csv",
            SIGNAL_COLUMNS,
            _signal_rows(world, signals, signal_truth, addressed),
        )
        work_rows = _write_csv(
            out / "custom_work.csv",
            CUSTOM_WORK_COLUMNS,
            _custom_work_rows(world, custom_work, work_truth, hours),
        )
    files = {
        "accounts.csv": _write_csv(out / "accounts.csv", ACCOUNT_COLUMNS, _account_rows(world)),
        "signals.csv": signal_rows,
        "deployments.csv": _write_csv(
            out / "deployments.csv", DEPLOYMENT_COLUMNS, _deployment_rows(world, hours)
        ),
        "custom_work.csv": work_rows,
    }
    files.update(_write_reference_files(out, world, catalog, addressed))
    _write_workspace_toml(out, world.periods)
    if truth is not None:
        _write_csv(truth / "concerns.csv", CONCERN_TRUTH_COLUMNS, _concern_truth_rows(world))
        _write_csv(
            truth / "capabilities.csv", CAPABILITY_TRUTH_COLUMNS, _capability_truth_rows(catalog)
        )
    return SampleSummary(path=out, files=files, truth_path=truth)


def _write_reference_files(
    out: Path, world: _World, catalog: _Catalog, addressed: Mapping[str, list[str]]
) -> dict[str, int]:
    """Write the capability side of the bundle; return rows per file."""
    return {
        "capabilities.csv": _write_csv(
            out / "capabilities.csv",
            CAPABILITY_COLUMNS,
            _capability_rows(world, catalog, addressed),
        ),
        "teams.csv": _write_csv(out / "teams.csv", TEAM_COLUMNS, _team_rows(world)),
        "guardrails.csv": _write_csv(
            out / "guardrails.csv", GUARDRAIL_COLUMNS, _guardrail_rows(catalog)
        ),
        "model_constraints.csv": _write_csv(
            out / "model_constraints.csv", MODEL_CONSTRAINT_COLUMNS, _model_constraint_rows(catalog)
        ),
        "themes.csv": _write_csv(out / "themes.csv", THEME_COLUMNS, _theme_rows()),
        "stances.csv": _write_csv(
            out / "stances.csv", STANCE_COLUMNS, _stance_rows(world, catalog)
        ),
        "usage.csv": _write_csv(out / "usage.csv", USAGE_COLUMNS, _usage_rows(world, catalog)),
    }
