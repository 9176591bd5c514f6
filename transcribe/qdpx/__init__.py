"""The study as one REFI-QDA project (`--format qdpx`): `project` builds it from plain data,
`export` reads that data from the output folders."""

from .project import Interview, Study, Turn, project_xml, validate, write_qdpx

__all__ = ["Interview", "Study", "Turn", "project_xml", "validate", "write_qdpx"]
