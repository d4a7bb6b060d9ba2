"""The standard lifecycle of a problem item (问题) and of its rectification (整改).

A definition says ``lifecycle: standard`` and may override any state or transition by key.
Both machines advance together where the domain needs it: verifying a rectification closes
its item, reopening a closed item (回头看) puts its rectification back to work, dismissing or
merging an item cancels its rectification.  Each of those steps is its own event.
"""

from __future__ import annotations

from typing import Any

SUPERVISION = ["actor_not_in_unit"]

ITEM: dict[str, Any] = {
    "title": "问题",
    "initial": "reported",
    "states": [
        {"key": "reported", "title": "待核实"},
        {"key": "confirmed", "title": "已确认"},
        {"key": "closed", "title": "已销号", "done": True},
        {"key": "dismissed", "title": "不属实", "done": True},
        {"key": "merged", "title": "已合并", "done": True},
    ],
    "transitions": [
        {"trigger": "confirm", "title": "核实属实", "source": "reported", "dest": "confirmed"},
        {"trigger": "dismiss", "title": "核实不属实", "source": "reported", "dest": "dismissed",
         "guards": ["note_required", *SUPERVISION], "actions": [{"fire": {"trigger": "cancel"}}]},
        {"trigger": "close", "title": "办结销号", "source": "confirmed", "dest": "closed",
         "guards": ["rectification_done", *SUPERVISION],
         "actions": [{"stamp_date": {"field": "closed_on"}}]},
        # the rectification starts again with a new deadline: --deadline or deadlines.after_reopen
        {"trigger": "reopen", "title": "回头看重新整改", "source": "closed", "dest": "confirmed",
         "guards": ["note_required", {"new_deadline": {"default": "after_reopen"}}, *SUPERVISION],
         "actions": [{"increment": {"field": "reopen_count"}},
                     {"set_field": {"field": "closed_on"}},
                     {"fire": {"trigger": "rework"}}]},
        {"trigger": "merge", "title": "合并重复问题", "source": ["reported", "confirmed"],
         "dest": "merged", "guards": SUPERVISION, "actions": [{"fire": {"trigger": "cancel"}}]},
    ],
}

RECTIFICATION: dict[str, Any] = {
    "title": "整改",
    "initial": "pending",
    "states": [
        {"key": "pending", "title": "待制定方案"},
        {"key": "in_progress", "title": "整改中"},
        {"key": "extension_requested", "title": "延期待批"},
        {"key": "submitted", "title": "申请销号"},
        {"key": "long_term", "title": "长期整改"},
        {"key": "verified", "title": "验收通过", "done": True},
        {"key": "cancelled", "title": "已撤销", "done": True},
    ],
    "transitions": [
        {"trigger": "plan", "title": "制定整改方案", "source": "pending", "dest": "in_progress",
         "guards": ["item_confirmed"]},
        {"trigger": "submit", "title": "申请销号", "source": ["in_progress", "long_term"],
         "dest": "submitted", "actions": [{"stamp_date": {"field": "submitted_on"}}]},
        {"trigger": "verify", "title": "验收通过", "source": "submitted", "dest": "verified",
         "guards": SUPERVISION, "actions": [{"stamp_date": {"field": "completed_on"}},
                                            {"fire": {"trigger": "close"}}]},
        {"trigger": "return", "title": "驳回重办", "source": "submitted", "dest": "in_progress",
         "guards": ["note_required", {"new_deadline": {"default": "after_return"}}, *SUPERVISION],
         "actions": [{"increment": {"field": "returns"}},
                     # the ladder restarts from --deadline or deadlines.after_return
                     {"restart_ladder": {"default": "after_return"}}]},
        {"trigger": "defer", "title": "转为长期整改", "source": "in_progress", "dest": "long_term",
         "guards": ["note_required"]},
        {"trigger": "request-extension", "title": "申请延期", "source": "in_progress",
         "dest": "extension_requested", "guards": ["note_required",
                                                   {"param_not_past": {"name": "deadline"}}],
         # the deadline asked for (--deadline), which a deemed approval grants
         "actions": [{"set_field": {"field": "requested_deadline"}},
                     {"copy_param": {"name": "deadline", "field": "requested_deadline"}}]},
        {"trigger": "approve-extension", "title": "批准延期", "source": "extension_requested",
         "dest": "in_progress", "guards": [{"param_required": {"name": "deadline"}},
                                           {"param_not_past": {"name": "deadline"}}, *SUPERVISION],
         "actions": [{"copy_param": {"name": "deadline", "field": "deadline"}},
                     # the escalation ladder restarts from the new deadline
                     {"copy_param": {"name": "deadline", "field": "level_base"}},
                     {"set_field": {"field": "level"}}]},
        {"trigger": "refuse-extension", "title": "不予延期", "source": "extension_requested",
         "dest": "in_progress", "guards": SUPERVISION},
        {"trigger": "rework", "title": "重新整改", "source": "verified", "dest": "in_progress",
         "actions": [{"set_field": {"field": "completed_on"}},
                     {"restart_ladder": {"default": "after_reopen"}}]},
        {"trigger": "cancel", "title": "撤销", "source": ["pending", "in_progress",
                                                          "extension_requested", "submitted",
                                                          "long_term"], "dest": "cancelled"},
    ],
}

# One occurrence of a filing (报送事项, campaigns.filings): due, filed by the unit's own people,
# accepted or returned by the office; a returned one is filed again.  Used by a definition's
# ``filings`` section; without one it moves nothing.
FILING: dict[str, Any] = {
    "title": "报送事项",
    "initial": "due",
    "states": [
        {"key": "due", "title": "待报送"},
        {"key": "filed", "title": "已报送"},
        {"key": "returned", "title": "已退回"},
        {"key": "accepted", "title": "已采用", "done": True},
    ],
    "transitions": [
        {"trigger": "file", "title": "报送", "source": ["due", "returned"], "dest": "filed",
         "guards": ["actor_in_unit"]},
        {"trigger": "accept-filing", "title": "采用", "source": "filed", "dest": "accepted"},
        {"trigger": "return-filing", "title": "退回", "source": "filed", "dest": "returned",
         "guards": ["note_required"]},
    ],
}

STANDARD = {"item": ITEM, "rectification": RECTIFICATION, "filing": FILING}

# The ladder applies to rectifications under way: not while the item awaits confirmation or the
# plan is being made (pending), nor while a request waits for the office, nor once finished.
STANDARD_ESCALATION = {"machine": "rectification", "applies_in": ["in_progress"]}

# A long-term mechanism (长效机制: a rule, system or process adopted in 建章立制): drafted,
# issued, in force from the day its document names (文号, 施行日期), reviewed once it has run.
# In force means ``in_force_on`` is set: a repeal clears it, so the stage guard
# ``mechanisms_in_force`` reads one column, whatever states a definition adds.
MECHANISM: dict[str, Any] = {
    "title": "长效机制",
    "initial": "drafted",
    "states": [
        {"key": "drafted", "title": "起草中"},
        {"key": "issued", "title": "已印发"},
        {"key": "in_force", "title": "已施行"},
        {"key": "reviewed", "title": "已评估"},
        {"key": "repealed", "title": "已废止", "done": True},
    ],
    "transitions": [
        {"trigger": "issue", "title": "印发", "source": "drafted", "dest": "issued",
         "actions": [{"stamp_date": {"field": "issued_on"}}]},
        # --number and --on are supplied with the trigger (rectify mechanism advance)
        {"trigger": "enforce", "title": "施行", "source": "issued", "dest": "in_force",
         "guards": ["mechanism_document_given"]},
        {"trigger": "review", "title": "评估", "source": "in_force", "dest": "reviewed",
         "guards": ["note_required"], "actions": [{"stamp_date": {"field": "reviewed_on"}}]},
        {"trigger": "repeal", "title": "废止", "source": ["drafted", "issued", "in_force", "reviewed"],
         "dest": "repealed", "guards": ["note_required"],
         "actions": [{"set_field": {"field": "in_force_on"}}]},
    ],
}

STANDARD["mechanism"] = MECHANISM

# A public commitment (公开承诺, campaigns.commitments): drafted, published (晒承诺: in progress
# from then on, tracked on the definition's cadence), then the year-end review (一年一兑现)
# says how it was honoured.  A commitment may be found fulfilled early; only once its
# completion date has come may it be judged partly fulfilled or broken.
COMMITMENT: dict[str, Any] = {
    "title": "公开承诺",
    "initial": "drafted",
    "states": [
        {"key": "drafted", "title": "待公开"},
        {"key": "in_progress", "title": "推进中"},
        {"key": "fulfilled", "title": "已兑现", "done": True},
        {"key": "partly", "title": "部分兑现", "done": True},
        {"key": "broken", "title": "未兑现", "done": True},
    ],
    "transitions": [
        {"trigger": "publish-commitment", "title": "晒承诺", "source": "drafted",
         "dest": "in_progress", "actions": [{"stamp_date": {"field": "published_on"}}]},
        {"trigger": "fulfil", "title": "兑现", "source": "in_progress", "dest": "fulfilled",
         "actions": [{"stamp_date": {"field": "reviewed_on"}}]},
        {"trigger": "fulfil-partly", "title": "部分兑现", "source": "in_progress", "dest": "partly",
         "guards": ["note_required", "commitment_due_reached"],
         "actions": [{"stamp_date": {"field": "reviewed_on"}}]},
        {"trigger": "break", "title": "未兑现", "source": "in_progress", "dest": "broken",
         "guards": ["note_required", "commitment_due_reached"],
         "actions": [{"stamp_date": {"field": "reviewed_on"}}]},
    ],
}

STANDARD["commitment"] = COMMITMENT

# The machines of one problem item's record (campaigns.records); the others have rows of their
# own (a mechanism) and are never part of an item's record.
RECORD_MACHINES = ("item", "rectification")
