"""Cases, decisions and reports; the Moderators group and its permission."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODERATORS = "Moderators"


def moderators_create(apps, schema_editor):
    """Create the review permission and the Moderators group that holds it."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="moderation", model="case")
    permission, _ = Permission.objects.get_or_create(
        codename="review_case", content_type=content_type,
        defaults={"name": "Can review and decide moderation cases"},
    )
    group, _ = Group.objects.get_or_create(name=MODERATORS)
    group.permissions.add(permission)


def moderators_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=MODERATORS).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('moderation', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Case',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('held_prompt', 'Held prompt'), ('held_post', 'Held post'), ('flagged_media', 'Flagged media'), ('flagged_comment', 'Flagged comment'), ('report', 'Report'), ('appeal', 'Appeal')], max_length=20, verbose_name='kind')),
                ('subject_id', models.PositiveBigIntegerField()),
                ('evidence', models.JSONField(blank=True, default=dict, verbose_name='evidence')),
                ('categories', models.JSONField(blank=True, default=list, verbose_name='categories')),
                ('priority', models.IntegerField(default=0, verbose_name='priority')),
                ('state', models.CharField(choices=[('open', 'Open'), ('claimed', 'Claimed'), ('decided', 'Decided')], default='open', max_length=10, verbose_name='state')),
                ('outcome', models.CharField(blank=True, choices=[('approved', 'Approved'), ('rejected', 'Rejected'), ('escalated', 'Escalated')], max_length=10, verbose_name='outcome')),
                ('report_count', models.PositiveIntegerField(default=0, verbose_name='reports')),
                ('message', models.TextField(blank=True, help_text='What the person appealing wrote.', verbose_name='message')),
                ('claimed_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('claimed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='appeals', to='moderation.case', verbose_name='appealed case')),
                ('subject_owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='moderation_cases', to=settings.AUTH_USER_MODEL, verbose_name='owner of the subject')),
                ('subject_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype')),
            ],
            options={
                'verbose_name': 'case',
                'verbose_name_plural': 'cases',
                'permissions': [('review_case', 'Can review and decide moderation cases')],
            },
        ),
        migrations.CreateModel(
            name='Decision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(choices=[('approve', 'Approve'), ('reject', 'Reject'), ('escalate', 'Escalate')], max_length=10, verbose_name='action')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('policy_version', models.CharField(blank=True, max_length=100, verbose_name='policy version')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='decisions', to='moderation.case')),
                ('moderator', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'decision',
                'verbose_name_plural': 'decisions',
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Report',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('subject_id', models.PositiveBigIntegerField()),
                ('reason', models.CharField(choices=[('public_figure', 'A real public figure'), ('minor', 'A minor'), ('copyright', 'Copyrighted material'), ('harassment', 'Harassment'), ('violence', 'Violence'), ('spam', 'Spam'), ('other', 'Something else')], max_length=20, verbose_name='reason')),
                ('text', models.TextField(blank=True, max_length=1000, verbose_name='details')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reports', to='moderation.case')),
                ('reporter', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reports', to=settings.AUTH_USER_MODEL)),
                ('subject_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype')),
            ],
            options={
                'verbose_name': 'report',
                'verbose_name_plural': 'reports',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['state', '-priority', 'created_at'], name='moderation_case_queue'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['subject_type', 'subject_id'], name='moderation_case_subject'),
        ),
        migrations.AddConstraint(
            model_name='case',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'report'), models.Q(('state', 'decided'), _negated=True)), fields=('subject_type', 'subject_id'), name='moderation_case_one_open_report'),
        ),
        migrations.AddConstraint(
            model_name='case',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'appeal')), fields=('subject_type', 'subject_id'), name='moderation_case_one_appeal'),
        ),
        migrations.AddConstraint(
            model_name='report',
            constraint=models.UniqueConstraint(fields=('reporter', 'subject_type', 'subject_id'), name='moderation_report_once'),
        ),
        migrations.RunPython(moderators_create, moderators_delete),
    ]
