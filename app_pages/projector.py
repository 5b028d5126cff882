"""Projector: one run, large and clean, for the front of the room."""

from gan_ui import classroom_view, state

classroom_view.projector_view(state.language())
