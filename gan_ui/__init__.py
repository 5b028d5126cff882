"""gan_ui: the Streamlit side of GAN classroom (state, texts, charts, page pieces). gan_core never imports it."""
