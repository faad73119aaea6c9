"""Text fields that never store characters a feed cannot carry.

A title saved through the admin, the API or a service with a control character in it would
otherwise break every Atom feed that lists it (XML 1.0 has no way to write U+0001).
"""

from django.db import models

from articles.text import xml_safe


class XmlSafeMixin:
    """Drop XML-illegal characters from the value on the way in: forms, saves and updates."""

    def to_python(self, value):
        value = super().to_python(value)
        return xml_safe(value) if isinstance(value, str) else value

    def pre_save(self, model_instance, add):
        # Cleaned on the instance too, so that what the caller holds is what was stored.
        value = super().pre_save(model_instance, add)
        if isinstance(value, str):
            value = xml_safe(value)
            setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return xml_safe(value) if isinstance(value, str) else value


class XmlSafeCharField(XmlSafeMixin, models.CharField):
    pass


class XmlSafeTextField(XmlSafeMixin, models.TextField):
    pass
