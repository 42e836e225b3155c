"""Extension points of the accounts app. Receivers connect in their own AppConfig.ready()."""

from django.dispatch import Signal

#: Sent while a profile page is built, with `person` (the User shown), `viewer` (the
#: request's user, maybe anonymous) and `cursor` (the page of videos asked for, or None).
#: Each receiver returns a dict of extra template context: the feed adds the person's
#: videos, so this app needs to know nothing of apps to its right.
profile_shown = Signal()
