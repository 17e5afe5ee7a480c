"""Dashboards and scorecards: query arguments and the documented shape of the answers."""

from __future__ import annotations

from marshmallow import Schema, fields

STATUS_COUNTS = fields.Dict(
    keys=fields.String(), values=fields.Integer(), metadata={"description": "Milestones by status"}
)
RAG_COUNTS = fields.Dict(
    keys=fields.String(),
    values=fields.Integer(),
    metadata={"description": "Milestones by RAG colour (red, amber, green)"},
)


class AsOfArgs(Schema):
    as_of = fields.Date(
        metadata={
            "description": "A past date: the status as it was at the end of that day (UTC), "
            "folded from the event log. Today or later: the current status with overdue and "
            "RAG computed for that day (what it will be if nothing changes)"
        }
    )


class RagSchema(Schema):
    colour = fields.String(metadata={"description": "red, amber or green"})
    reasons = fields.List(fields.String(), metadata={"description": "Why it has this colour"})


class SummaryRagSchema(Schema):
    colour = fields.String(
        metadata={"description": "red, amber or green: the worst colour of its milestones"}
    )
    reasons = fields.List(
        fields.String(),
        metadata={
            "description": "Why it has this colour: the reasons of its milestones of that "
            "colour, each prefixed with the milestone's title; at most RT_SUMMARY_ROWS, "
            "see more_reasons"
        },
    )
    more_reasons = fields.Integer(
        metadata={
            "description": "How many reasons are left out of reasons (0: it lists them all); "
            "every milestone's own reasons are on the initiative dashboard"
        }
    )


class MilestoneBriefSchema(Schema):
    milestone_id = fields.String()
    title = fields.String()
    owner_agency = fields.String()
    status = fields.String()
    due_date = fields.String()
    days_overdue = fields.Integer()
    days_until_due = fields.Integer()
    progress = fields.Integer()
    rag = fields.Nested(RagSchema)


class MilestoneRowSchema(MilestoneBriefSchema):
    initiative_id = fields.String()
    programme_id = fields.String()
    planned_start = fields.String()
    planned_due_date = fields.String(metadata={"description": "The baseline due date"})
    slip_days = fields.Integer()
    replan_count = fields.Integer()
    evidence_count = fields.Integer()
    comment_count = fields.Integer()
    blocked_reason = fields.String(allow_none=True)
    dispute_reason = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    reported_complete_at = fields.String(allow_none=True)
    verified_at = fields.String(allow_none=True)
    verified_by = fields.String(allow_none=True)
    last_progress_at = fields.String(allow_none=True)
    last_update = fields.String()
    version = fields.Integer()
    position = fields.Integer(metadata={"description": "Log position of its last event"})
    overdue = fields.Boolean()
    due_soon = fields.Boolean()
    days_since_progress = fields.Integer(allow_none=True)


OVERDUE_COUNT = fields.Integer(
    metadata={"description": "How many milestones are overdue: all, not only those listed"}
)
OVERDUE = fields.List(
    fields.Nested(MilestoneBriefSchema),
    metadata={
        "description": "The most overdue milestones, most overdue first: at most "
        "RT_SUMMARY_ROWS; see overdue_count"
    },
)


class RollupSchema(Schema):
    milestone_count = fields.Integer()
    counts_by_status = STATUS_COUNTS
    counts_by_rag = RAG_COUNTS
    percent_complete = fields.Float(allow_none=True)
    overdue_count = OVERDUE_COUNT
    due_soon_count = fields.Integer(
        metadata={"description": "How many milestones are due soon: all, not only those listed"}
    )
    overdue = OVERDUE
    due_soon = fields.List(
        fields.Nested(MilestoneBriefSchema),
        metadata={
            "description": "The milestones due soonest, earliest first: at most "
            "RT_SUMMARY_ROWS; see due_soon_count"
        },
    )
    rag = fields.Nested(SummaryRagSchema)
    position = fields.Integer(metadata={"description": "Log position of its last change"})


class ReadModelDifferenceSchema(Schema):
    family = fields.String()
    id = fields.String()
    field = fields.String(allow_none=True, metadata={"description": "null: record missing"})
    reason = fields.String()


class ReadModelCheckSchema(Schema):
    checked_at = fields.String()
    ok = fields.Boolean()
    checkpoints = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "The log position each read model was compared at"},
    )
    difference = fields.Nested(
        ReadModelDifferenceSchema,
        allow_none=True,
        metadata={"description": "The first record that differs from the log's fold"},
    )


class ProjectionStateSchema(Schema):
    as_of_position = fields.Integer(metadata={"description": "Last log position reflected"})
    head_position = fields.Integer()
    lag_events = fields.Integer(metadata={"description": "head_position - as_of_position"})
    as_of_date = fields.Date(metadata={"description": "The day overdue and RAG refer to"})
    source = fields.String(metadata={"description": "read_model, or log for ?as_of="})
    read_models_checked = fields.Nested(
        ReadModelCheckSchema,
        allow_none=True,
        metadata={
            "description": "The last check of the read models against a fold of the log "
            "(`reform-tracker verify --read-models`, and hourly); null: never checked"
        },
    )


class InitiativeDashboardSchema(RollupSchema, ProjectionStateSchema):
    initiative_id = fields.String()
    programme_id = fields.String()
    title = fields.String()
    description = fields.String()
    owner_agency = fields.String()
    lead = fields.String()
    launched_at = fields.String()
    milestones = fields.List(fields.Nested(MilestoneRowSchema))


class InitiativeSummarySchema(InitiativeDashboardSchema):
    class Meta:
        exclude = ("milestones", *ProjectionStateSchema._declared_fields)


class ProgrammeDashboardSchema(RollupSchema, ProjectionStateSchema):
    programme_id = fields.String()
    title = fields.String()
    description = fields.String()
    lead_agency = fields.String()
    created_at = fields.String()
    initiatives = fields.List(fields.Nested(InitiativeSummarySchema))


class ProgrammeSummarySchema(ProgrammeDashboardSchema):
    class Meta:
        exclude = tuple(ProjectionStateSchema._declared_fields)


class OverviewSchema(ProjectionStateSchema):
    programmes = fields.List(fields.Nested(ProgrammeSummarySchema))


class DeliverySchema(Schema):
    milestone_id = fields.String()
    title = fields.String()
    status = fields.String(metadata={"description": "reported_complete or verified"})
    planned_due_date = fields.String(metadata={"description": "The baseline due date"})
    completed_on = fields.String(metadata={"description": "The day completion was claimed"})
    days_late = fields.Integer(
        metadata={"description": "completed_on minus planned_due_date, in days (negative: early)"}
    )
    on_time = fields.Boolean()


class ScorecardSchema(ProjectionStateSchema):
    agency = fields.String()
    milestone_count = fields.Integer()
    counts_by_status = STATUS_COUNTS
    counts_by_rag = RAG_COUNTS
    percent_complete = fields.Float(allow_none=True)
    completed_count = fields.Integer(metadata={"description": "Reported complete or verified"})
    completed_on_time = fields.Integer(
        metadata={"description": "Completion claimed on or before the baseline due date"}
    )
    on_time_rate = fields.Float(allow_none=True)
    deliveries = fields.List(
        fields.Nested(DeliverySchema),
        metadata={
            "description": "The latest RT_SUMMARY_ROWS completed milestones against their "
            "baseline, oldest first (see deliveries_count)"
        },
    )
    deliveries_count = fields.Integer(
        metadata={"description": "Every completed milestone (reported complete or verified)"}
    )
    overdue_count = OVERDUE_COUNT
    overdue = OVERDUE
    reported_count = fields.Integer(metadata={"description": "Ever claimed complete"})
    verified_count = fields.Integer()
    disputed_count = fields.Integer()
    verified_share = fields.Float(allow_none=True, metadata={"description": "verified/reported"})
    slip_days_total = fields.Integer()
    rag = fields.Nested(SummaryRagSchema)
    position = fields.Integer()
