# Teacher profile on the membership; messages to a session's attendees (issue 11).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('booking', '0009_session_meeting_url'),
        ('site_platform', '0006_tenant_status_changed_at'),
        ('wagtailimages', '0027_image_description'),
    ]

    operations = [
        migrations.AddField(
            model_name='membership',
            name='bio',
            field=models.TextField(blank=True, max_length=2000, verbose_name='bio'),
        ),
        migrations.AddField(
            model_name='membership',
            name='deactivated_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='deactivated'),
        ),
        migrations.AddField(
            model_name='membership',
            name='display_name',
            field=models.CharField(blank=True, help_text="Shown to students; empty uses the account's name.", max_length=120, verbose_name='display name'),
        ),
        migrations.AddField(
            model_name='membership',
            name='languages',
            field=models.CharField(blank=True, help_text='For example: English, Vietnamese', max_length=200, verbose_name='languages taught'),
        ),
        migrations.AddField(
            model_name='membership',
            name='levels',
            field=models.CharField(blank=True, help_text='For example: A1–B2, IELTS', max_length=200, verbose_name='levels'),
        ),
        migrations.AddField(
            model_name='membership',
            name='photo',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='wagtailimages.image', verbose_name='photo'),
        ),
        migrations.CreateModel(
            name='TeacherMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('message', 'Message'), ('meeting_link', 'New meeting link')], default='message', max_length=20, verbose_name='kind')),
                ('subject', models.CharField(max_length=150, verbose_name='subject')),
                ('body', models.TextField(max_length=5000, verbose_name='message')),
                ('recipient_count', models.PositiveIntegerField(default=0, verbose_name='recipients')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='sent')),
                ('sender', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='sender')),
                ('session', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='teacher_messages', to='booking.session', verbose_name='session')),
                ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='site_platform.tenant', verbose_name='tenant')),
            ],
            options={
                'verbose_name': 'message to attendees',
                'verbose_name_plural': 'messages to attendees',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='TeacherMessageDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('recipient', models.EmailField(max_length=254, verbose_name='recipient')),
                ('language', models.CharField(blank=True, max_length=10, verbose_name='language')),
                ('sent_at', models.DateTimeField(auto_now_add=True, verbose_name='sent')),
                ('message', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='site_platform.teachermessage', verbose_name='message')),
            ],
            options={
                'verbose_name': 'message delivery',
                'verbose_name_plural': 'message deliveries',
                'ordering': ['sent_at', 'id'],
            },
        ),
        migrations.AddIndex(
            model_name='teachermessage',
            index=models.Index(fields=['sender', 'created_at'], name='teacher_message_sender_time'),
        ),
        migrations.AddConstraint(
            model_name='teachermessagedelivery',
            constraint=models.UniqueConstraint(fields=('message', 'recipient'), name='teacher_message_once'),
        ),
    ]
