"""The web door, ``rectify serve``: pages for every unit and the office, and a JSON API.

Small modules: ``app`` assembles the application, ``site`` holds what every request shares
(database, templates, language, session), ``doors`` signs in and out, ``pages`` and ``board``
are the pages, ``api`` the JSON API, and ``work`` puts the command line's services together for
a signed-in person.  No module here changes anything by itself: every change goes through the
services (campaigns.advance, campaigns.items, campaigns.logins, ...) and so through the planner
and the one writer.
"""
