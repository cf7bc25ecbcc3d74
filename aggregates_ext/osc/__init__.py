"""The OpenStackClient plugin: ``openstack aggregate precache ...``."""
