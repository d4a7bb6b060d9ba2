"""Inspections (督查检查) as site records, and the county's yearly plan of them.

An inspection names the campaign its findings become items of, but the plan, its cap and the
units' visit budgets are the county's and span every campaign (seed 004's 减负 plan): so plans
and inspections live in site tables and their events in the site log, and only a finding's
item (and the notice to the unit head) is written to the campaign's own log.
"""
