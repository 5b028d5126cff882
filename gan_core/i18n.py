"""One translation table for every sentence a person reads (Spanish default, English)."""

from __future__ import annotations

DEFAULT_LANGUAGE = "es"
LANGUAGES = ("es", "en")

# key -> {language: text}. Text may hold str.format placeholders.
TEXTS: dict[str, dict[str, str]] = {
    # --- configuration errors -------------------------------------------------
    "error.unknown_preset": {
        "es": "Preset desconocido «{value}». Disponibles: {choices}.",
        "en": "Unknown preset “{value}”. Available: {choices}.",
    },
    "error.unknown_dataset": {
        "es": "Conjunto de datos desconocido «{value}». Disponibles: {choices}, o una carpeta/zip de fotos.",
        "en": "Unknown dataset “{value}”. Available: {choices}, or a folder/zip of photos.",
    },
    "error.unknown_choice": {
        "es": "Valor no válido para {field}: «{value}». Opciones: {choices}.",
        "en": "Invalid value for {field}: “{value}”. Choices: {choices}.",
    },
    "error.unknown_field": {
        "es": "Campo desconocido en {field}: «{value}». Campos válidos: {choices}.",
        "en": "Unknown field in {field}: “{value}”. Valid fields: {choices}.",
    },
    "error.not_integer": {
        "es": "{field} debe ser un número entero (recibido: {value}).",
        "en": "{field} must be a whole number (got: {value}).",
    },
    "error.not_number": {
        "es": "{field} debe ser un número (recibido: {value}).",
        "en": "{field} must be a number (got: {value}).",
    },
    "error.out_of_range": {
        "es": "{field} debe estar entre {low} y {high} (recibido: {value}).",
        "en": "{field} must be between {low} and {high} (got: {value}).",
    },
    "error.needs_labels": {
        "es": "El preset condicional necesita un conjunto de datos con clases; «{dataset}» no tiene etiquetas.",
        "en": "The conditional preset needs a labelled dataset; “{dataset}” has no labels.",
    },
    "error.simultaneous_d_steps": {
        "es": "Con la actualización simultánea G y D dan un paso cada uno por lote, así que los pasos de D por paso "
              "de G deben ser 1 (recibido: {value}). Elige la actualización alterna para dar más pasos a D.",
        "en": "With the simultaneous update G and D take one step each per batch, so D steps per G step must be 1 "
              "(got: {value}). Choose the alternating update to give D more steps.",
    },
    "error.clusters_preset": {
        "es": "El preset «{preset}» no admite grupos (autocondicionamiento). Lo admiten: {supported}.",
        "en": "Preset “{preset}” does not support groups (self-conditioning). Supported: {supported}.",
    },
    "error.preset_shape": {
        "es": "El preset «{preset}» no admite imágenes de {shape}. Admite: {supported}.",
        "en": "Preset “{preset}” does not support {shape} images. Supported: {supported}.",
    },
    "error.dataset_not_found": {
        "es": "No se encontró el conjunto «{dataset}». Se buscó en: {places}. Define GAN_DATA_DIR con la carpeta de datos.",
        "en": "Dataset “{dataset}” was not found. Looked in: {places}. Set GAN_DATA_DIR to the data folder.",
    },
    "error.init_from_missing": {
        "es": "No encuentro el generador de partida «{value}»: hace falta una carpeta con networks.npz y card.json "
              "(pretrained/NOMBRE o la carpeta de una ejecución terminada).",
        "en": "Cannot find the starting generator “{value}”: it needs a folder with networks.npz and card.json "
              "(pretrained/NAME or a finished run's folder).",
    },
    "error.init_from_incompatible": {
        "es": "No se puede empezar desde «{value}» ({preset}, {shape}): esta ejecución usa {wanted_preset} con "
              "imágenes {wanted_shape}. Hace falta la misma receta y el mismo tamaño.",
        "en": "Cannot start from “{value}” ({preset}, {shape}): this run uses {wanted_preset} with {wanted_shape} "
              "images. The recipe and the image size must match.",
    },
    "error.init_from_classes": {
        "es": "«{value}» tiene {source} clases y esta ejecución {target}: no se pueden copiar sus redes.",
        "en": "“{value}” has {source} classes and this run {target}: its networks cannot be copied.",
    },
    "error.freeze_without_init": {
        "es": "Congelar capas de D solo tiene sentido al empezar desde otro generador (empezar desde…).",
        "en": "Freezing D's layers only makes sense when starting from another generator (start from…).",
    },
    "run.time_budget_reached": {
        "es": "Se acabó el tiempo fijado ({minutes} min): el entrenamiento terminó en la época {epoch}. "
              "Puedes continuarlo con más épocas.",
        "en": "The time budget ({minutes} min) is spent: training ended at epoch {epoch}. "
              "You can continue it with more epochs.",
    },
    "error.too_few_images": {
        "es": "Hacen falta al menos {minimum} imágenes para entrenar (hay {count}).",
        "en": "At least {minimum} images are needed to train (there are {count}).",
    },
    "error.batch_larger_than_data": {
        "es": "El tamaño de lote ({batch}) es mayor que el número de imágenes ({count}).",
        "en": "The batch size ({batch}) is larger than the number of images ({count}).",
    },
    "error.run_exists": {
        "es": "La carpeta de la ejecución ya existe y no está vacía: {path}.",
        "en": "The run folder already exists and is not empty: {path}.",
    },
    "error.no_checkpoint": {
        "es": "No hay ningún punto de control para reanudar en {path}.",
        "en": "There is no checkpoint to resume from in {path}.",
    },
    "error.not_a_run": {
        "es": "{path} no es la carpeta de una ejecución (falta config.json).",
        "en": "{path} is not a run folder (config.json is missing).",
    },
    "error.cannot_resume_state": {
        "es": "Solo se puede reanudar una ejecución detenida, terminada o fallida (estado: {state}).",
        "en": "Only a stopped, finished or failed run can be resumed (state: {state}).",
    },
    "error.nan_loss": {
        "es": "El entrenamiento divergió: la pérdida {which} es {value} en el paso {step}. Prueba una tasa de aprendizaje menor.",
        "en": "Training diverged: the {which} loss is {value} at step {step}. Try a smaller learning rate.",
    },
    "error.worker_lost": {
        "es": "Se perdió la máquina del clúster que entrenaba esta ejecución ({error}). Continúa desde el último punto guardado.",
        "en": "The cluster machine training this run was lost ({error}). Continue it from its last checkpoint.",
    },
    "error.crashed": {
        "es": "El entrenamiento falló por un error interno: {error}",
        "en": "Training failed with an internal error: {error}",
    },
    "error.model_file": {
        "es": "El archivo de modelo no es válido: {reason}",
        "en": "The model file is not valid: {reason}",
    },
    "error.model_too_big": {
        "es": "El modelo declara unos {params} parámetros; un generador no necesita más de {limit}. Se ha rechazado "
              "sin construirlo.",
        "en": "The model declares about {params} parameters; a generator needs no more than {limit}. It was refused "
              "without building it.",
    },
    "error.model_too_big_layer": {
        "es": "Una capa del modelo produce {values} valores por imagen (máximo {limit}). Se ha rechazado sin construirlo.",
        "en": "One of the model's layers outputs {values} values per image (at most {limit}). It was refused without "
              "building it.",
    },
    "error.model_check_memory": {
        "es": "Al construir y probar el modelo se superó el límite de memoria de la comprobación ({limit} MB): es "
              "demasiado grande para este servidor.",
        "en": "Building and trying the model went over the check's memory limit ({limit} MB): it is too large for "
              "this server.",
    },
    "error.model_check_timeout": {
        "es": "Construir y probar el modelo tardó más de {seconds} s: es demasiado lento para este servidor.",
        "en": "Building and trying the model took longer than {seconds} s: it is too slow for this server.",
    },
    "error.upload_too_many_files": {
        "es": "El archivo contiene demasiados ficheros ({count}; máximo {limit}).",
        "en": "The archive holds too many files ({count}; at most {limit}).",
    },
    "error.upload_empty": {
        "es": "No se ha subido ningún archivo.",
        "en": "No file was uploaded.",
    },
    "error.upload_too_large": {
        "es": "La subida ocupa {megabytes} MB; el máximo es {limit} MB.",
        "en": "The upload is {megabytes} MB; the limit is {limit} MB.",
    },
    "error.upload_no_images": {
        "es": "Solo se pudieron leer {count} imágenes (mínimo {minimum}); se omitieron {skipped} archivos. Revisa la lista de omitidos.",
        "en": "Only {count} images could be read (at least {minimum} needed); {skipped} files were skipped. See the list of skipped files.",
    },
    "error.session_busy": {
        "es": "Ya tienes una ejecución en cola o en marcha ({run}): espera a que termine o detenla antes de empezar otra. "
              "Cada sesión entrena una ejecución a la vez, para que la cola sea justa con toda la clase.",
        "en": "You already have a run queued or running ({run}): wait for it to end or stop it before starting another. "
              "Each session trains one run at a time, so the queue is fair to the whole class.",
    },
    "error.quota": {
        "es": "Tu espacio en el servidor está lleno ({used} MB de {limit} MB). Borra ejecuciones o datos antiguos.",
        "en": "Your space on the server is full ({used} MB of {limit} MB). Delete old runs or data.",
    },
    # --- the class (gan_core.classroom) ---
    "error.limit_preset": {
        "es": "Tu profesor no ha activado la receta «{preset}» en esta clase: elige otra.",
        "en": "Your teacher has not enabled the recipe “{preset}” in this class: choose another.",
    },
    "error.limit_dataset": {
        "es": "Tu profesor no ha activado este conjunto de datos ({dataset}) en esta clase: elige otro.",
        "en": "Your teacher has not enabled this dataset ({dataset}) in this class: choose another.",
    },
    "limit.epochs": {
        "es": "Épocas: pediste {asked}, pero tu profesor limita cada ejecución a {limit} en esta clase.",
        "en": "Epochs: you asked for {asked}, but your teacher limits each run to {limit} in this class.",
    },
    "limit.minutes": {
        "es": "Tiempo: tu profesor limita cada ejecución a {limit} minutos en esta clase; al pasarlos termina tras la época en curso.",
        "en": "Time: your teacher limits each run to {limit} minutes in this class; past that it ends after the current epoch.",
    },
    "limit.image_size": {
        "es": "Tamaño de imagen: pediste {asked}×{asked}, pero tu profesor lo limita a {limit}×{limit} en esta clase.",
        "en": "Image size: you asked for {asked}×{asked}, but your teacher limits it to {limit}×{limit} in this class.",
    },
    "error.nickname": {
        "es": "Escribe un apodo de 1 a {limit} caracteres (letras, números, espacios).",
        "en": "Write a nickname of 1 to {limit} characters (letters, digits, spaces).",
    },
    "error.nickname_key": {
        "es": "Ese apodo parece una clave o una dirección: la galería es pública, elige un apodo normal.",
        "en": "That nickname looks like a key or an address: the gallery is public, choose an ordinary nickname.",
    },
    "error.exercise_tampered": {
        "es": "Este enlace de ejercicio no es válido: se ha modificado o lo hizo otro servidor. No se ha aplicado nada; "
              "pide a tu profesor el enlace de nuevo.",
        "en": "This exercise link is not valid: it was changed or made by another server. Nothing was applied; ask "
              "your teacher for the link again.",
    },
    "error.exercise_bad": {
        "es": "Este enlace de ejercicio no se puede usar ({reason}). No se ha aplicado nada; pide a tu profesor un enlace nuevo.",
        "en": "This exercise link cannot be used ({reason}). Nothing was applied; ask your teacher for a new link.",
    },
    "error.upload_bomb": {
        "es": "El archivo comprimido se descomprime a un tamaño excesivo: parece una bomba zip y se ha rechazado.",
        "en": "The archive expands to an excessive size: it looks like a zip bomb and was refused.",
    },
    "error.zip_listing": {
        "es": "El índice del zip ocupa {megabytes} MB (máximo {limit} MB): se ha rechazado sin abrirlo.",
        "en": "The zip's listing takes {megabytes} MB (at most {limit} MB): it was refused without opening it.",
    },
    # --- the 2-D playground's data ----------------------------------------------
    "playground.csv_too_big": {
        "es": "El CSV ocupa {size_kb} KB; el límite es {limit_kb} KB. Sube como mucho unos miles de puntos.",
        "en": "The CSV is {size_kb} KB; the limit is {limit_kb} KB. Upload at most a few thousand points.",
    },
    "playground.csv_not_text": {
        "es": "Ese archivo no es texto (UTF-8): sube un CSV con dos columnas de números, x e y.",
        "en": "That file is not text (UTF-8): upload a CSV with two columns of numbers, x and y.",
    },
    "playground.csv_columns": {
        "es": "Línea {line}: hay {count} columnas y deben ser 2 (x, y), separadas por coma, punto y coma o tabulador.",
        "en": "Line {line}: it has {count} columns and must have 2 (x, y), separated by a comma, semicolon or tab.",
    },
    "playground.csv_number": {
        "es": "Línea {line}: «{value}» no es un número finito. Cada fila debe tener dos números, x e y.",
        "en": "Line {line}: “{value}” is not a finite number. Every row must hold two numbers, x and y.",
    },
    "playground.csv_too_many": {
        "es": "El CSV tiene más de {limit} puntos: para un dibujo en 2-D bastan unos cientos.",
        "en": "The CSV has more than {limit} points: a few hundred are enough for a 2-D picture.",
    },
    "playground.csv_too_few": {
        "es": "El CSV tiene {count} puntos; hacen falta al menos {minimum}.",
        "en": "The CSV has {count} points; at least {minimum} are needed.",
    },
    "playground.csv_one_point": {
        "es": "Todos los puntos del CSV son el mismo: no hay forma que aprender.",
        "en": "Every point in the CSV is the same: there is no shape to learn.",
    },
    "playground.no_points": {
        "es": "Aún no hay puntos: dibuja algunos en el lienzo o sube un CSV.",
        "en": "There are no points yet: draw some on the canvas or upload a CSV.",
    },
    "playground.saved_too_big": {
        "es": "El archivo ocupa {size_kb} KB; un experimento guardado ocupa mucho menos (máximo {limit_kb} KB). No se ha "
              "cambiado nada.",
        "en": "The file is {size_kb} KB; a saved experiment is far smaller (at most {limit_kb} KB). Nothing was changed.",
    },
    "playground.saved_not_zip": {
        "es": "Ese archivo no es un experimento guardado (un .zip descargado de esta página) o está dañado. No se ha "
              "cambiado nada.",
        "en": "That file is not a saved experiment (a .zip downloaded from this page) or it is damaged. Nothing was "
              "changed.",
    },
    "playground.saved_members": {
        "es": "El zip debe contener exactamente {expected}; contiene {found}. No se ha cambiado nada.",
        "en": "The zip must hold exactly {expected}; it holds {found}. Nothing was changed.",
    },
    "playground.saved_card": {
        "es": "La ficha card.json del zip no es la de un experimento de esta página (campo: {reason}). No se ha "
              "cambiado nada.",
        "en": "The zip's card.json is not one of this page's experiments (field: {reason}). Nothing was changed.",
    },
    "playground.saved_mismatch": {
        "es": "Los pesos de {network} no encajan con la arquitectura que describe card.json. No se ha cambiado nada.",
        "en": "The weights in {network} do not fit the architecture card.json describes. Nothing was changed.",
    },
    "playground.idle_paused": {
        "es": "Pausado: nadie miraba esta página desde hace un rato.",
        "en": "Paused: nobody had been looking at this page for a while.",
    },
    # --- reasons a photo was skipped -------------------------------------------
    "skip.not_an_image": {"es": "no es una imagen", "en": "not an image"},
    "skip.corrupt": {"es": "imagen dañada o truncada", "en": "corrupt or truncated image"},
    "skip.too_small": {"es": "imagen demasiado pequeña", "en": "image too small"},
    "skip.too_many_pixels": {"es": "demasiados píxeles (posible bomba de descompresión)", "en": "too many pixels (possible decompression bomb)"},
    "skip.too_large": {"es": "archivo demasiado grande", "en": "file too large"},
    "skip.bomb": {"es": "compresión sospechosa (posible bomba zip)", "en": "suspicious compression (possible zip bomb)"},
    "skip.unsafe_path": {"es": "ruta peligrosa (.. o absoluta)", "en": "unsafe path (.. or absolute)"},
    "skip.symlink": {"es": "enlace simbólico", "en": "symbolic link"},
    "skip.too_many_files": {"es": "se superó el máximo de fotos", "en": "over the maximum number of photos"},
    # --- run states -------------------------------------------------------------
    "state.queued": {"es": "en cola", "en": "queued"},
    "state.running": {"es": "entrenando", "en": "running"},
    "state.paused": {"es": "en pausa", "en": "paused"},
    "state.finished": {"es": "terminada", "en": "finished"},
    "state.stopped": {"es": "detenida", "en": "stopped"},
    "state.failed": {"es": "fallida", "en": "failed"},
    # --- diagnosis --------------------------------------------------------------
    "diag.healthy": {
        "es": "Todo en orden: el discriminador y el generador siguen compitiendo.",
        "en": "All fine: the discriminator and the generator are still competing.",
    },
    "diag.too_early": {
        "es": "Aún es pronto para diagnosticar: faltan pasos de entrenamiento.",
        "en": "Too early for a diagnosis: more training steps are needed.",
    },
    "diag.d_wins": {
        "es": "El discriminador gana demasiado pronto: acierta el {acc:.0%} de las imágenes y la pérdida del generador sube. "
        "El generador deja de recibir gradientes útiles. Prueba a bajar la tasa de aprendizaje de D, suavizar etiquetas o usar la pérdida hinge.",
        "en": "The discriminator wins too early: it is right on {acc:.0%} of images and the generator's loss is climbing. "
        "The generator stops getting useful gradients. Try a lower D learning rate, label smoothing or the hinge loss.",
    },
    "diag.mode_collapse": {
        "es": "Posible colapso de modo: las imágenes generadas se parecen demasiado entre sí (diversidad {ratio:.0%} de la de los datos reales). "
        "Prueba otra pérdida (hinge, WGAN-GP), un lote distinto o menos pasos de G.",
        "en": "Possible mode collapse: the generated images look too alike (diversity {ratio:.0%} of the real data's). "
        "Try another loss (hinge, WGAN-GP), another batch size or fewer G steps.",
    },
    "diag.oscillation": {
        "es": "Las pérdidas oscilan mucho (variación {cv:.0%} en los últimos pasos): el equilibrio es inestable. Prueba tasas de aprendizaje menores o beta1 = 0.5.",
        "en": "The losses swing a lot ({cv:.0%} variation over the last steps): the balance is unstable. Try smaller learning rates or beta1 = 0.5.",
    },
    "diag.divergence": {
        "es": "Divergencia: las pérdidas crecen sin control. Baja la tasa de aprendizaje.",
        "en": "Divergence: the losses grow without bound. Lower the learning rate.",
    },
    "diag.g_wins": {
        "es": "El discriminador casi no distingue reales de falsas (precisión {acc:.0%}): o el generador es muy bueno, o D aprende demasiado despacio.",
        "en": "The discriminator can hardly tell real from fake (accuracy {acc:.0%}): either the generator is very good or D learns too slowly.",
    },
}


def tr(key: str, lang: str = DEFAULT_LANGUAGE, **params) -> str:
    """Text for `key` in `lang`, formatted with `params`; falls back to Spanish, then to the key."""
    entry = TEXTS.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


class Message:
    """A translatable sentence: a key and its parameters, rendered in any language later."""

    def __init__(self, key: str, **params):
        self.key = key
        self.params = params

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return tr(self.key, lang, **self.params)

    def to_dict(self) -> dict:
        return {"key": self.key, "params": {k: _jsonable(v) for k, v in self.params.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> "Message":
        return cls(data["key"], **data.get("params", {}))

    def __repr__(self) -> str:
        return f"Message({self.key!r}, {self.params!r})"


def _jsonable(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class GanError(Exception):
    """An error a person must read: carries a translatable Message; str() is Spanish."""

    def __init__(self, key: str, details=None, **params):
        self.message = Message(key, **params)
        self.details = details  # optional data for the UI (e.g. the files an upload skipped, with reasons)
        super().__init__(self.message.text(DEFAULT_LANGUAGE))

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return self.message.text(lang)
