"""Move the files of posts that are not published out of the public folders.

Since this release a post's video and poster sit in `videos/` and `posters/` only while the
post is published, and under `withheld/` otherwise (see feed.models.WITHHELD). Posts that
were held or taken down before keep their files reachable at the public address until moved.
"""

from django.core.files.base import File
from django.db import migrations

WITHHELD = "withheld/"


def withhold(apps, schema_editor):
    Post = apps.get_model("feed", "Post")
    for post in Post.objects.exclude(state="published").iterator():
        changed = []
        for field in ("video", "poster"):
            file = getattr(post, field)
            if not file or not file.name or file.name.startswith(WITHHELD):
                continue
            if not file.storage.exists(file.name):
                continue
            with file.storage.open(file.name, "rb") as handle:
                moved = file.storage.save(WITHHELD + file.name, File(handle))
            file.storage.delete(file.name)
            file.name = moved
            changed.append(field)
        if changed:
            post.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [("feed", "0003_post_job")]

    operations = [migrations.RunPython(withhold, migrations.RunPython.noop)]
