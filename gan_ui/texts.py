"""Every sentence the app shows, added to the engine's one translation table (Spanish default, English)."""

from __future__ import annotations

from gan_core.i18n import DEFAULT_LANGUAGE, LANGUAGES, TEXTS, tr

LANGUAGE_NAMES = {"es": "Español", "en": "English"}  # each in its own language, as language pickers do

_UI_TEXTS: dict[str, dict[str, str]] = {
    # --- app shell ------------------------------------------------------------------
    "app.title": {"es": "Aula GAN", "en": "GAN classroom"},
    "app.language": {"es": "Idioma", "en": "Language"},
    "app.session": {
        "es": "Tus ejecuciones se guardan con esta dirección: márcala para volver a ellas. La dirección es tu llave: "
              "no la proyectes ni la compartas, porque quien la tenga ve y usa tus ejecuciones y tus datos.",
        "en": "Your runs are kept under this page's address: bookmark it to come back to them. The address is your "
              "key: do not project it or share it, since whoever has it sees and uses your runs and your data.",
    },
    "nav.train": {"es": "Entrenar", "en": "Train"},
    "nav.runs": {"es": "Mis ejecuciones", "en": "My runs"},
    "nav.data": {"es": "Datos", "en": "Data"},
    "nav.learn": {"es": "Aprende", "en": "Learn"},
    "nav.explore": {"es": "Explorar", "en": "Explore"},
    "nav.teacher": {"es": "Profesor", "en": "Teacher"},
    "nav.playground": {"es": "Laboratorio 2-D", "en": "2-D playground"},
    # --- datasets, classes, losses -------------------------------------------------------
    "dataset.mnist": {"es": "MNIST: dígitos escritos a mano (28×28, gris)", "en": "MNIST: handwritten digits (28×28, grey)"},
    "dataset.fashion_mnist": {"es": "Fashion-MNIST: prendas de ropa (28×28, gris)", "en": "Fashion-MNIST: clothes (28×28, grey)"},
    "dataset.cifar_animals": {"es": "CIFAR-10, animales: 6 clases (32×32, color)", "en": "CIFAR-10 animals: 6 classes (32×32, colour)"},
    "dataset.cifar_class": {"es": "CIFAR-10, solo {animal} (32×32, color)", "en": "CIFAR-10, {animal} only (32×32, colour)"},
    "dataset.upload": {
        "es": "Tus fotos: {name} ({count} imágenes de {size}×{size})",
        "en": "Your photos: {name} ({count} images, {size}×{size})",
    },
    "dataset.upload_short": {"es": "Tus fotos: {name}", "en": "Your photos: {name}"},
    "class.bird": {"es": "pájaro", "en": "bird"},
    "class.cat": {"es": "gato", "en": "cat"},
    "class.deer": {"es": "ciervo", "en": "deer"},
    "class.dog": {"es": "perro", "en": "dog"},
    "class.frog": {"es": "rana", "en": "frog"},
    "class.horse": {"es": "caballo", "en": "horse"},
    "class.T-shirt/top": {"es": "camiseta", "en": "t-shirt/top"},
    "class.Trouser": {"es": "pantalón", "en": "trouser"},
    "class.Pullover": {"es": "jersey", "en": "pullover"},
    "class.Dress": {"es": "vestido", "en": "dress"},
    "class.Coat": {"es": "abrigo", "en": "coat"},
    "class.Sandal": {"es": "sandalia", "en": "sandal"},
    "class.Shirt": {"es": "camisa", "en": "shirt"},
    "class.Sneaker": {"es": "zapatilla", "en": "sneaker"},
    "class.Bag": {"es": "bolso", "en": "bag"},
    "class.Ankle boot": {"es": "botín", "en": "ankle boot"},
    "loss.bce_logits": {"es": "Entropía cruzada binaria (logits)", "en": "Binary cross-entropy (logits)"},
    "loss.log": {"es": "Logarítmica clásica (sigmoide)", "en": "Classic log loss (sigmoid)"},
    "loss.lsgan": {"es": "Mínimos cuadrados (LSGAN)", "en": "Least squares (LSGAN)"},
    "loss.hinge": {"es": "Bisagra (hinge)", "en": "Hinge"},
    "loss.wgan_gp": {"es": "Wasserstein con penalización de gradiente (WGAN-GP)", "en": "Wasserstein with gradient penalty (WGAN-GP)"},
    # --- playground (2-D) --------------------------------------------------------------------
    "pg.title": {"es": "Laboratorio 2-D", "en": "2-D playground"},
    "pg.intro": {
        "es": "Una GAN en dos dimensiones, donde todo se ve a la vez: los puntos reales (verde), los falsos que "
              "dibuja G (morado), la decisión de D sobre todo el plano (fondo: verde «real», morado «falso»), cómo G "
              "dobla el espacio del ruido (la malla) y hacia dónde empuja la pérdida a cada punto falso (flechas). "
              "Es el mismo modelo `GAN`, con las mismas pérdidas y optimizadores que las recetas de imágenes.",
        "en": "A GAN in two dimensions, where everything is visible at once: the real points (green), the fake ones G "
              "draws (purple), D's decision over the whole plane (background: green “real”, purple “fake”), how G "
              "bends the noise space (the mesh) and where the loss pushes each fake point (arrows). It is the same "
              "`GAN` model, with the same losses and optimizers as the image recipes.",
    },
    "pg.data": {"es": "Datos reales", "en": "Real data"},
    "pg.data.line": {"es": "Línea", "en": "Line"},
    "pg.data.gaussians": {"es": "Mezcla de 3 gaussianas", "en": "Mixture of 3 Gaussians"},
    "pg.data.ring": {"es": "Anillo de 8 gaussianas", "en": "Ring of 8 Gaussians"},
    "pg.data.disjoint": {"es": "Dos regiones separadas", "en": "Two separate regions"},
    "pg.data.points": {"es": "Tus puntos (dibujados o CSV)", "en": "Your points (drawn or CSV)"},
    "pg.draw_help": {
        "es": "Haz clic en el lienzo para añadir un punto, o elige la herramienta de lazo o de caja (arriba a la "
              "derecha del gráfico) y rodea una zona para rellenarla. Luego pulsa «Entrenar con estos puntos».",
        "en": "Click the canvas to add a point, or pick the lasso or box tool (top right of the chart) and draw "
              "round an area to fill it. Then press “Train on these points”.",
    },
    "pg.drawn_count": {"es": "{count} puntos dibujados", "en": "{count} points drawn"},
    "pg.use_points": {"es": "Entrenar con estos puntos", "en": "Train on these points"},
    "pg.clear_points": {"es": "Borrar el dibujo", "en": "Clear the drawing"},
    "pg.csv": {"es": "…o sube un CSV de puntos (x, y)", "en": "…or upload a CSV of points (x, y)"},
    "pg.csv_help": {
        "es": "Dos columnas de números por fila, con o sin cabecera; hasta {limit} puntos y {kb} KB. Se centran y "
              "escalan al recuadro sin deformarlos.",
        "en": "Two columns of numbers per row, with or without a header; up to {limit} points and {kb} KB. They are "
              "centred and scaled into the box without distorting them.",
    },
    "pg.csv_loaded": {"es": "{count} puntos cargados de {name}.", "en": "{count} points loaded from {name}."},
    "pg.save": {"es": "Guardar o cargar el experimento", "en": "Save or load the experiment"},
    "pg.save_help": {
        "es": "La descarga es un .zip con G y D (archivos .keras) y una ficha card.json con los datos, la arquitectura, "
              "la pérdida, los optimizadores y el paso. Súbelo aquí para seguir entrenando o para verlo: los "
              "optimizadores empiezan de nuevo.",
        "en": "The download is a .zip with G and D (.keras files) and a card.json with the data, architecture, loss, "
              "optimizers and step. Upload it here to go on training or to look at it: the optimizers start afresh.",
    },
    "pg.download": {"es": "Descargar el experimento (.zip)", "en": "Download the experiment (.zip)"},
    "pg.load": {"es": "Cargar un experimento guardado (.zip)", "en": "Load a saved experiment (.zip)"},
    "pg.load_help": {
        "es": "Un .zip descargado de esta página, de hasta {limit_kb} KB. Se comprueba antes de usarlo (unos segundos): "
              "solo capas conocidas, en modo seguro, construido primero en un proceso aparte con memoria limitada.",
        "en": "A .zip downloaded from this page, at most {limit_kb} KB. It is checked before use (a few seconds): known "
              "layers only, in safe mode, built first in a separate process with limited memory.",
    },
    "pg.loaded": {
        "es": "Experimento cargado de {name}: {data}, paso {step}. Sigue entrenando o míralo.",
        "en": "Experiment loaded from {name}: {data}, step {step}. Go on training or look at it.",
    },
    "pg.examples": {"es": "Fallos a propósito", "en": "Failures on purpose"},
    "pg.example.mode_collapse": {"es": "Colapso de modos", "en": "Mode collapse"},
    "pg.example.vanishing": {"es": "Gradientes que desaparecen", "en": "Vanishing gradients"},
    "pg.example.wgan_fix": {"es": "WGAN-GP lo arregla", "en": "WGAN-GP fixes it"},
    "pg.example_look.mode_collapse": {
        "es": "Anillo de 8 modos contra un D diez veces más rápido que G y con 5 pasos por cada uno de G. Mira los "
              "puntos morados: se amontonan en uno o dos de los ocho círculos y saltan de uno a otro mientras el fondo "
              "de D los persigue; la divergencia JS no baja.",
        "en": "A ring of 8 modes against a D ten times faster than G, with 5 steps per G step. Watch the purple "
              "points: they pile up on one or two of the eight blobs and hop from one to another while D's background "
              "chases them; the JS divergence does not come down.",
    },
    "pg.example_look.vanishing": {
        "es": "La pérdida logarítmica clásica contra un D con ReLU que aprende veinte veces más rápido que G, con 5 "
              "pasos por cada uno de G. Mira las flechas: en cuanto D está seguro y se queda plano alrededor de los "
              "puntos falsos, se encogen hasta desaparecer (la longitud media cae a 0), los puntos morados se quedan "
              "quietos y la divergencia JS deja de bajar.",
        "en": "The classic log loss against a ReLU D that learns twenty times faster than G, with 5 steps per G step. "
              "Watch the arrows: as soon as D is sure and flat around the fake points they shrink to nothing (the mean "
              "length drops to 0), the purple points freeze and the JS divergence stops coming down.",
    },
    "pg.example_look.wgan_fix": {
        "es": "El anillo con WGAN-GP (ruido 2-D, Leaky ReLU, 5 pasos de D por paso de G): la penalización mantiene la "
              "pendiente del crítico cerca de 1, así que las flechas nunca desaparecen (longitud media cerca de 1) y "
              "los puntos morados se reparten por casi todos los ocho círculos, con puentes entre ellos, en vez de "
              "amontonarse en uno o dos. El fondo ya no es una probabilidad: es la puntuación del crítico.",
        "en": "The ring with WGAN-GP (2-D noise, leaky ReLU, 5 D steps per G step): the penalty holds the critic's "
              "slope near 1, so the arrows never vanish (mean length near 1) and the purple points spread over almost "
              "all eight blobs, with bridges between them, instead of piling up on one or two. The background is no "
              "longer a probability: it is the critic's score.",
    },
    "pg.model": {"es": "Modelo (cambiarlo reinicia el experimento)", "en": "Model (changing it restarts the experiment)"},
    "pg.g_layers": {"es": "Capas ocultas de G", "en": "G hidden layers"},
    "pg.g_width": {"es": "Neuronas por capa de G", "en": "G neurons per layer"},
    "pg.d_layers": {"es": "Capas ocultas de D", "en": "D hidden layers"},
    "pg.d_width": {"es": "Neuronas por capa de D", "en": "D neurons per layer"},
    "pg.activation": {"es": "Activación", "en": "Activation"},
    "pg.noise_dim": {"es": "Dimensión del ruido", "en": "Noise dimension"},
    "pg.noise": {"es": "Distribución del ruido", "en": "Noise distribution"},
    "pg.noise.uniform": {"es": "Uniforme en [-1, 1]", "en": "Uniform in [-1, 1]"},
    "pg.noise.gaussian": {"es": "Gaussiana N(0, 1)", "en": "Gaussian N(0, 1)"},
    "pg.batch_size": {"es": "Tamaño de lote", "en": "Batch size"},
    "pg.training": {"es": "Entrenamiento (se aplica en el siguiente paso)", "en": "Training (applies at the next step)"},
    "pg.loss": {"es": "Pérdida", "en": "Loss"},
    "pg.g_optimizer": {"es": "Optimizador de G", "en": "G optimizer"},
    "pg.d_optimizer": {"es": "Optimizador de D", "en": "D optimizer"},
    "pg.g_lr": {"es": "Tasa de aprendizaje de G", "en": "G learning rate"},
    "pg.d_lr": {"es": "Tasa de aprendizaje de D", "en": "D learning rate"},
    "pg.d_steps": {"es": "Pasos de D por paso de G", "en": "D steps per G step"},
    "pg.play": {"es": "Entrenar", "en": "Play"},
    "pg.pause": {"es": "Pausa", "en": "Pause"},
    "pg.step": {"es": "Un paso", "en": "One step"},
    "pg.step_d": {"es": "Solo D", "en": "Only D"},
    "pg.step_g": {"es": "Solo G", "en": "Only G"},
    "pg.restart": {"es": "Reiniciar", "en": "Restart"},
    "pg.slow": {"es": "Cámara lenta", "en": "Slow motion"},
    "pg.slow_help": {
        "es": "En cámara lenta cada pulsación de «Un paso», «Solo D» o «Solo G» muestra la siguiente etapa del paso, "
              "y «Entrenar» avanza una etapa cada {seconds} s.",
        "en": "In slow motion each press of “One step”, “Only D” or “Only G” shows the next stage of the step, and "
              "“Play” moves one stage every {seconds} s.",
    },
    "pg.layers": {"es": "Capas del dibujo", "en": "Layers shown"},
    "pg.layer.heatmap": {"es": "Decisión de D", "en": "D's decision"},
    "pg.layer.real": {"es": "Reales", "en": "Real"},
    "pg.layer.fake": {"es": "Falsos", "en": "Fake"},
    "pg.layer.manifold": {"es": "Malla de G", "en": "G's mesh"},
    "pg.layer.arrows": {"es": "Gradientes", "en": "Gradients"},
    "pg.building": {"es": "Construyendo las redes…", "en": "Building the networks…"},
    "pg.state.queued": {"es": "En cola: puesto {position}", "en": "Queued: position {position}"},
    "pg.step_count": {"es": "Paso", "en": "Step"},
    "pg.js": {"es": "Divergencia JS", "en": "JS divergence"},
    "pg.js_help": {
        "es": "Jensen-Shannon entre los histogramas de 2000 puntos reales y 2000 falsos en una cuadrícula de 20×20, "
              "en bits: 1 es «no se solapan nada», y dos muestras de la misma distribución dan unas centésimas.",
        "en": "Jensen-Shannon between the histograms of 2000 real and 2000 fake points on a 20×20 grid, in bits: 1 "
              "means “no overlap at all”, and two samples of the same distribution give a few hundredths.",
    },
    "pg.arrow_length": {"es": "Longitud media de las flechas", "en": "Mean arrow length"},
    "pg.arrow_help": {
        "es": "Cuánto empuja la pérdida de G a cada punto falso (el gradiente por punto). Cerca de 0: G ya no aprende.",
        "en": "How hard G's loss pushes each fake point (the gradient per point). Near 0: G no longer learns.",
    },
    "pg.applied": {"es": "{field} = {value} desde el paso {step}", "en": "{field} = {value} from step {step}"},
    "pg.pending_value": {"es": "{field} = {value}: se aplica en el siguiente paso", "en": "{field} = {value}: applies at the next step"},
    "pg.chart_losses": {"es": "Pérdidas por paso", "en": "Losses per step"},
    "pg.chart_js": {"es": "Divergencia JS (bits)", "en": "JS divergence (bits)"},
    "pg.critic_note": {
        "es": "Con WGAN-GP el fondo es la puntuación del crítico, estirada a su mínimo y su máximo en el recuadro.",
        "en": "With WGAN-GP the background is the critic's score, stretched between its minimum and maximum in the box.",
    },
    "pg.trace.real": {"es": "reales", "en": "real"},
    "pg.trace.fake": {"es": "falsos (G)", "en": "fake (G)"},
    "pg.trace.manifold": {"es": "malla del ruido por G", "en": "noise mesh through G"},
    "pg.trace.arrows": {"es": "gradiente de G", "en": "G's gradient"},
    "pg.trace.noise": {"es": "ruido z", "en": "noise z"},
    "pg.trace.batch": {"es": "lote de este paso", "en": "this step's batch"},
    "pg.trace.drawn": {"es": "tus puntos", "en": "your points"},
    "pg.trace.canvas": {"es": "lienzo", "en": "canvas"},
    "pg.heat.real": {"es": "D: real", "en": "D: real"},
    "pg.stage_title": {"es": "Etapa {index} de {count} · {who}", "en": "Stage {index} of {count} · {who}"},
    "pg.who.d": {"es": "actualización de D", "en": "D's update"},
    "pg.who.g": {"es": "actualización de G", "en": "G's update"},
    "pg.stage.d.noise": {
        "es": "Se sortea un lote de ruido z (en gris si es 2-D) y se toma un lote de puntos reales.",
        "en": "A batch of noise z is drawn (in grey when it is 2-D) and a batch of real points is taken.",
    },
    "pg.stage.d.generate": {
        "es": "G convierte cada z en un punto falso (morado): así dobla el espacio del ruido.",
        "en": "G turns every z into a fake point (purple): this is how it bends the noise space.",
    },
    "pg.stage.d.score": {
        "es": "D puntúa los reales y los falsos: cuanto más grande el punto, más «real» le parece.",
        "en": "D scores the real and the fake points: the bigger a point, the more “real” it looks to D.",
    },
    "pg.stage.d.loss": {
        "es": "La pérdida de D vale {loss:.4f}: es alta si puntúa bien a los falsos o mal a los reales.",
        "en": "D's loss is {loss:.4f}: it is high when D scores fakes high or real points low.",
    },
    "pg.stage.d.gradient": {
        "es": "Se calcula el gradiente de esa pérdida respecto a los pesos de D: cómo cambiarlos para separar mejor.",
        "en": "The gradient of that loss with respect to D's weights is computed: how to change them to separate better.",
    },
    "pg.stage.d.update": {
        "es": "El optimizador de D da un paso con ese gradiente: mira cómo cambia el fondo. G no se ha movido.",
        "en": "D's optimizer takes a step along that gradient: watch the background change. G has not moved.",
    },
    "pg.stage.g.noise": {
        "es": "Turno de G: se sortea un lote nuevo de ruido z. Los puntos reales no intervienen.",
        "en": "G's turn: a new batch of noise z is drawn. Real points play no part.",
    },
    "pg.stage.g.generate": {
        "es": "G convierte cada z en un punto falso.",
        "en": "G turns every z into a fake point.",
    },
    "pg.stage.g.score": {
        "es": "D (que ya no cambia en este turno) puntúa los falsos.",
        "en": "D (which does not change in this turn) scores the fake points.",
    },
    "pg.stage.g.loss": {
        "es": "La pérdida de G vale {loss:.4f}: es alta cuando D reconoce los falsos.",
        "en": "G's loss is {loss:.4f}: it is high when D spots the fakes.",
    },
    "pg.stage.g.gradient": {
        "es": "El gradiente atraviesa D y llega a cada punto falso (flechas): hacia dónde moverlo para engañar a D.",
        "en": "The gradient flows back through D to every fake point (arrows): where to move it to fool D.",
    },
    "pg.stage.g.update": {
        "es": "El optimizador de G mueve sus pesos; los puntos falsos y la malla se desplazan en el sentido de las "
              "flechas. D no se ha movido.",
        "en": "G's optimizer moves its weights; the fake points and the mesh shift along the arrows. D has not moved.",
    },
    "pg.activation.relu": {"es": "ReLU", "en": "ReLU"},
    "pg.activation.leaky_relu": {"es": "Leaky ReLU", "en": "Leaky ReLU"},
    "pg.activation.tanh": {"es": "tanh", "en": "tanh"},
    "pg.optimizer.adam": {"es": "Adam", "en": "Adam"},
    "pg.optimizer.sgd": {"es": "SGD", "en": "SGD"},
    "pg.optimizer.rmsprop": {"es": "RMSprop", "en": "RMSprop"},
    # --- train page: the form ---------------------------------------------------------
    "train.title": {"es": "Entrenar una GAN", "en": "Train a GAN"},
    "train.intro": {
        "es": "Elige los datos y una receta, ajusta los hiperparámetros y pulsa «Entrenar». Verás en directo cómo "
              "compiten el generador (G), que dibuja imágenes a partir de ruido, y el discriminador (D), que intenta "
              "distinguirlas de las reales.",
        "en": "Pick the data and a recipe, adjust the hyper-parameters and press “Train”. You will watch live how the "
              "generator (G), which draws images from noise, competes with the discriminator (D), which tries to "
              "tell them from real ones.",
    },
    "train.new": {"es": "Nueva ejecución", "en": "New run"},
    "train.dataset": {"es": "Conjunto de datos", "en": "Dataset"},
    "train.preset": {"es": "Receta (preset)", "en": "Recipe (preset)"},
    "train.conditional": {
        "es": "Receta condicional: necesita datos con clases y aprende a dibujar la clase que se le pida.",
        "en": "Conditional recipe: it needs labelled data and learns to draw the class you ask for.",
    },
    "train.generator_opt": {"es": "Optimizador del generador (G)", "en": "Generator (G) optimizer"},
    "train.discriminator_opt": {"es": "Optimizador del discriminador (D)", "en": "Discriminator (D) optimizer"},
    "train.start": {"es": "Entrenar", "en": "Train"},
    "train.started": {"es": "Ejecución creada: {run_id}", "en": "Run created: {run_id}"},
    "train.watching": {"es": "Ejecución que estás viendo", "en": "Run you are watching"},
    "train.none_yet": {
        "es": "Aún no has entrenado nada en esta sesión: configura una ejecución arriba y pulsa «Entrenar».",
        "en": "You have not trained anything in this session yet: set up a run above and press “Train”.",
    },
    "hp.epochs": {"es": "Épocas", "en": "Epochs"},
    "hp.batch_size": {"es": "Tamaño de lote", "en": "Batch size"},
    "hp.latent_dim": {"es": "Tamaño del espacio latente", "en": "Latent size"},
    "hp.loss": {"es": "Pérdida", "en": "Loss"},
    "hp.optimizer": {"es": "Algoritmo", "en": "Algorithm"},
    "hp.learning_rate": {"es": "Tasa de aprendizaje", "en": "Learning rate"},
    "hp.beta1": {"es": "beta1 (Adam)", "en": "beta1 (Adam)"},
    "hp.d_steps": {"es": "Pasos de D por paso de G", "en": "D steps per G step"},
    "hp.label_smoothing": {"es": "Suavizado de etiquetas", "en": "Label smoothing"},
    "hp.seed": {"es": "Semilla", "en": "Seed"},
    "hp.max_images": {"es": "Máximo de imágenes (0 = todas)", "en": "Maximum images (0 = all)"},
    "hp.diff_augment": {"es": "DiffAugment (aumento de datos diferenciable)", "en": "DiffAugment (differentiable augmentation)"},
    "augment.auto": {"es": "Automático (sí con menos de 2000 imágenes)", "en": "Automatic (on under 2000 images)"},
    "augment.on": {"es": "Sí", "en": "On"},
    "augment.off": {"es": "No", "en": "Off"},
    "hp.steps_per_epoch": {"es": "Pasos por época (0 = una pasada)", "en": "Steps per epoch (0 = one pass)"},
    "help.steps_per_epoch": {
        "es": "Con pocas fotos una pasada son muy pocos pasos: mejor épocas de N lotes, y más cuadrículas.",
        "en": "With few photos one pass is very few steps: better epochs of N batches, and more grids.",
    },
    "hp.max_minutes": {"es": "Tiempo máximo (min, 0 = sin límite)", "en": "Time budget (min, 0 = none)"},
    "help.max_minutes": {
        "es": "El entrenamiento termina tras la época que pase este tiempo; luego puedes continuarlo.",
        "en": "Training ends after the epoch that passes this time; you can continue it later.",
    },
    "hp.init_from": {"es": "Empezar desde…", "en": "Start from…"},
    "help.init_from": {
        "es": "Copiar G y D de un generador ya entrenado (aprendizaje por transferencia): con pocas fotos aprende "
              "mucho antes. «Automático» parte de los animales incluidos para una carpeta de fotos en color de 32x32.",
        "en": "Copy G and D from an already trained generator (transfer learning): with few photos it learns much "
              "sooner. “Automatic” starts from the bundled animals for a folder of 32x32 colour photos.",
    },
    "init.auto": {"es": "Automático", "en": "Automatic"},
    "init.scratch": {"es": "Desde cero", "en": "From scratch"},
    "init.bundled": {"es": "Generador incluido «{name}»", "en": "Bundled generator “{name}”"},
    "init.run": {"es": "Tu ejecución {name}", "en": "Your run {name}"},
    "hp.freeze_d": {"es": "Capas de D congeladas", "en": "Frozen D layers"},
    "help.freeze_d": {
        "es": "Al empezar desde otro generador: las primeras N capas de D no cambian (FreezeD), conservan lo que "
              "ya sabían ver.",
        "en": "When starting from another generator: D's first N layers stay fixed (FreezeD), keeping what they "
              "already learnt to see.",
    },
    "memorise.title": {"es": "¿Está copiando tus fotos?", "en": "Is it copying your photos?"},
    "memorise.intro": {
        "es": "Con pocas fotos, una GAN puede aprendérselas de memoria. Arriba, muestras del generador; debajo de "
              "cada una, la foto de entrenamiento más parecida.",
        "en": "With few photos a GAN can learn them by heart. Above, samples from the generator; below each one, "
              "the most similar training photo.",
    },
    "memorise.check": {"es": "Comprobar", "en": "Check"},
    "memorise.caption": {"es": "Arriba: generadas. Abajo: la foto más cercana ({space}).",
                         "en": "Top: generated. Bottom: the nearest photo ({space})."},
    "memorise.space.classifier": {"es": "según los rasgos del clasificador", "en": "by the classifier's features"},
    "memorise.space.pixels": {"es": "según los píxeles", "en": "by pixels"},
    "memorise.copying": {
        "es": "Está copiando: el {share} de las muestras son casi idénticas a una foto de entrenamiento.",
        "en": "It is copying: {share} of the samples are near copies of a training photo.",
    },
    "memorise.some_copies": {
        "es": "Sobre todo imágenes nuevas, pero el {share} se parecen mucho a una foto concreta.",
        "en": "Mostly new images, but {share} look very like one particular photo.",
    },
    "memorise.new": {
        "es": "No copia: ninguna muestra está más cerca de una foto que las fotos entre sí.",
        "en": "Not copying: no sample is closer to a photo than the photos are to each other.",
    },
    "train.too_short": {
        "es": "Ojo: esta ejecución solo hará {steps} pasos de entrenamiento; con menos de {useful} no se aprende "
              "más que manchas. Sube las épocas o los pasos por época.",
        "en": "Careful: this run makes only {steps} training steps; under {useful} nothing but blobs is learnt. "
              "Raise the epochs or the steps per epoch.",
    },
    "hp.update": {"es": "Actualización de G y D", "en": "G and D update"},
    "update.alternating": {"es": "Alterna: D, luego G", "en": "Alternating: D, then G"},
    "update.simultaneous": {"es": "Simultánea (tutorial 001)", "en": "Simultaneous (tutorial 001)"},
    "help.update": {
        "es": "Alterna: D aprende y después G, con ruido nuevo (la mayoría de tutoriales). Simultánea: una sola "
              "pasada de G y los dos aprenden a la vez, como el tutorial de TensorFlow; casi la mitad de trabajo "
              "por lote.",
        "en": "Alternating: D learns, then G, with fresh noise (most tutorials). Simultaneous: one pass of G and "
              "both learn at once, as in TensorFlow's tutorial; about half the work per batch.",
    },
    "hp.clusters": {"es": "Grupos (autocondicionamiento, 0 = no)", "en": "Groups (self-conditioning, 0 = off)"},
    "help.dataset": {
        "es": "Las imágenes reales que el discriminador ve. En «Datos» puedes mirarlas y subir tus propias fotos.",
        "en": "The real images the discriminator sees. On “Data” you can look at them and upload your own photos.",
    },
    "help.preset": {
        "es": "Arquitecturas de G y D y valores iniciales de los tutoriales. Cambiarla rellena los hiperparámetros de abajo.",
        "en": "G and D architectures and starting values from the tutorials. Changing it refills the hyper-parameters below.",
    },
    "help.epochs": {
        "es": "Una época es una pasada completa por todas las imágenes de entrenamiento.",
        "en": "One epoch is one full pass over every training image.",
    },
    "help.batch_size": {
        "es": "Imágenes por paso de entrenamiento. Lotes grandes dan gradientes más estables pero menos pasos por época.",
        "en": "Images per training step. Large batches give steadier gradients but fewer steps per epoch.",
    },
    "help.latent_dim": {
        "es": "Longitud del vector de ruido z del que parte G. Los tutoriales usan 100 (Rivera usa 20).",
        "en": "Length of the noise vector z that G starts from. The tutorials use 100 (Rivera uses 20).",
    },
    "help.loss": {
        "es": "Cómo se puntúa a D y a G. En «Aprende» tienes cada pérdida explicada y dibujada.",
        "en": "How D and G are scored. “Learn” explains and plots each loss.",
    },
    "help.optimizer": {
        "es": "Adam es lo habitual en GAN; SGD es el del tutorial del perceptrón; RMSprop se usó en las primeras WGAN.",
        "en": "Adam is the usual choice for GANs; SGD is the perceptron tutorial's; RMSprop was used by early WGANs.",
    },
    "help.learning_rate": {
        "es": "Tamaño de cada paso de descenso de gradiente. Demasiado grande: las pérdidas oscilan o divergen; "
              "demasiado pequeña: no aprende. 2e-4 es el valor clásico.",
        "en": "Size of each gradient-descent step. Too large: the losses swing or diverge; too small: nothing is "
              "learnt. 2e-4 is the classic value.",
    },
    "help.beta1": {
        "es": "Memoria del gradiente en Adam. Con 0.5 (en vez de 0.9) las GAN suelen ser más estables.",
        "en": "Adam's gradient memory. With 0.5 (instead of 0.9) GANs are usually more stable.",
    },
    "help.d_steps": {
        "es": "Cuántas veces se actualiza D antes de cada actualización de G. WGAN-GP usa 5.",
        "en": "How many times D is updated before each G update. WGAN-GP uses 5.",
    },
    "help.label_smoothing": {
        "es": "La etiqueta «real» pasa de 1 a 1 − este valor: D se confía menos y G recibe mejores gradientes.",
        "en": "The “real” label goes from 1 to 1 − this value: D is less sure of itself and G gets better gradients.",
    },
    "help.seed": {
        "es": "Fija los pesos iniciales, el orden de los datos y el ruido: misma semilla, mismo resultado.",
        "en": "Fixes the initial weights, the data order and the noise: same seed, same result.",
    },
    "help.max_images": {
        "es": "Entrena solo con las primeras N imágenes: útil para una prueba rápida (por ejemplo 2048).",
        "en": "Train on the first N images only: handy for a quick try (for example 2048).",
    },
    "help.clusters": {
        "es": "Agrupa las imágenes reales en N grupos parecidos (k-means, sin etiquetas). G y D saben de qué grupo es "
              "cada imagen, así G deja de dibujar dígitos a medio camino entre dos. La dimensión 0 del espacio "
              "latente elige el grupo. Como mucho un grupo por cada 50 imágenes.",
        "en": "Splits the real images into N groups of look-alikes (k-means, no labels). G and D know each image's "
              "group, so G stops drawing digits halfway between two. Latent dimension 0 picks the group. At most "
              "one group per 50 images.",
    },
    "help.diff_augment": {
        "es": "Cambia color, posición y recorta trozos de las imágenes reales y falsas: ayuda cuando hay pocas fotos.",
        "en": "Shifts colour and position and cuts out patches of real and fake images: helps with few photos.",
    },
    # --- train page: the live panel -------------------------------------------------------
    "live.header": {"es": "{preset} sobre {dataset}", "en": "{preset} on {dataset}"},
    "live.state": {"es": "Estado: {state}", "en": "State: {state}"},
    "live.queued": {
        "es": "En cola: posición {position}. Empezará en cuanto el servidor tenga un hueco libre.",
        "en": "Queued: position {position}. It starts as soon as the server has a free slot.",
    },
    "live.queued_waiting": {"es": "En cola: empezará enseguida.", "en": "Queued: it starts shortly."},
    "live.turn_in": {"es": "Tu turno en unos {wait} (min:s).", "en": "Your turn in about {wait} (min:s)."},
    "live.queue_line": {
        "es": "Cola: {running} entrenando ahora, {ahead} por delante de ti, {behind} detrás.",
        "en": "Queue: {running} training now, {ahead} ahead of you, {behind} behind.",
    },
    "live.turn_given": {
        "es": "Mientras otros esperan, los entrenamientos se turnan: el tuyo ha cedido su turno y seguirá justo "
              "donde lo dejó, sin perder nada.",
        "en": "While others wait, trainings take turns: yours gave up its turn and will go on exactly where it "
              "left off, losing nothing.",
    },
    "live.pause": {"es": "Pausar", "en": "Pause"},
    "live.resume": {"es": "Reanudar", "en": "Resume"},
    "live.stop": {"es": "Detener", "en": "Stop"},
    "live.continue": {"es": "Continuar el entrenamiento", "en": "Continue training"},
    "live.restart": {"es": "Empezar", "en": "Start"},
    "live.extra_epochs": {"es": "Épocas extra", "en": "Extra epochs"},
    "live.train_more": {"es": "Entrenar más épocas", "en": "Train more epochs"},
    "live.progress": {
        "es": "Época {epoch} de {total} · paso {step_in_epoch} de {steps_per_epoch}",
        "en": "Epoch {epoch} of {total} · step {step_in_epoch} of {steps_per_epoch}",
    },
    "live.progress_done": {"es": "{epoch} de {total} épocas completas", "en": "{epoch} of {total} epochs done"},
    "live.progress_cut": {
        "es": "detenida en el paso {step_in_epoch} de {steps_per_epoch} de la época {epoch}, que al continuar "
              "vuelve a empezar",
        "en": "stopped at step {step_in_epoch} of {steps_per_epoch} of epoch {epoch}, which starts again when you "
              "continue",
    },
    "live.epoch": {"es": "Época", "en": "Epoch"},
    "live.step": {"es": "Paso", "en": "Step"},
    "live.speed": {"es": "Imágenes/s", "en": "Images/s"},
    "live.elapsed": {"es": "Tiempo entrenando", "en": "Training time"},
    "live.eta": {"es": "Tiempo restante", "en": "Time left"},
    "live.device": {"es": "Entrena en: {device}", "en": "Training on: {device}"},
    "live.waiting": {"es": "Esperando los primeros pasos…", "en": "Waiting for the first steps…"},
    "live.grid_newest": {"es": "Lo último que dibuja G (época {epoch})", "en": "What G draws now (epoch {epoch})"},
    "live.grid_scrub": {"es": "Recorre las épocas", "en": "Scrub through the epochs"},
    "live.grid_following": {
        "es": "Siguiendo la época más reciente: la cuadrícula de al lado cambia con cada época. Mueve el "
              "deslizador para mirar una anterior; llévalo al final para volver a seguir la última.",
        "en": "Following the newest epoch: the grid beside this changes with every epoch. Move the slider to look "
              "at an earlier one; take it back to the end to follow the newest again.",
    },
    "live.grid_epoch": {"es": "Época {epoch}", "en": "Epoch {epoch}"},
    "live.grid_help": {
        "es": "Cada cuadrícula usa los mismos vectores de ruido fijos: así se ve cómo cambia lo que dibuja G. "
              "La época 0 es antes de entrenar.",
        "en": "Every grid uses the same fixed noise vectors, so you see how G's drawing changes. Epoch 0 is "
              "before training.",
    },
    "live.diagnosis": {"es": "Diagnóstico", "en": "Diagnosis"},
    "live.downloads": {"es": "Descargas", "en": "Downloads"},
    "live.dl_generator": {"es": "Generador (.keras)", "en": "Generator (.keras)"},
    "live.dl_grid": {"es": "Cuadrícula de la época {epoch} (PNG)", "en": "Epoch {epoch} grid (PNG)"},
    "live.dl_grids": {"es": "Todas las cuadrículas (ZIP)", "en": "All grids (ZIP)"},
    "live.dl_gif": {"es": "Evolución animada (GIF)", "en": "Animated progress (GIF)"},
    "live.failed": {"es": "La ejecución falló.", "en": "The run failed."},
    "live.traceback": {"es": "Detalles técnicos", "en": "Technical details"},
    "live.finished": {"es": "Entrenamiento terminado.", "en": "Training finished."},
    "live.stopped": {
        "es": "Ejecución detenida: el trabajo hecho se guardó y puedes continuarla.",
        "en": "Run stopped: the work done was saved and you can continue it.",
    },
    "live.paused": {"es": "En pausa: pulsa «Reanudar» para seguir.", "en": "Paused: press “Resume” to go on."},
    "live.tab_losses": {"es": "Pérdidas", "en": "Losses"},
    "live.tab_accuracy": {"es": "Precisión de D", "en": "D accuracy"},
    "live.tab_speed": {"es": "Velocidad", "en": "Speed"},
    "live.per_step": {"es": "Por paso", "en": "Per step"},
    "live.per_epoch": {"es": "Por época", "en": "Per epoch"},
    "live.no_epochs": {"es": "Aún no ha terminado ninguna época.", "en": "No epoch has finished yet."},
    # --- charts -------------------------------------------------------------------------
    "chart.step": {"es": "Paso", "en": "Step"},
    "chart.epoch": {"es": "Época", "en": "Epoch"},
    "chart.images_seen": {"es": "Imágenes vistas", "en": "Images seen"},
    "chart.loss": {"es": "Pérdida", "en": "Loss"},
    "chart.accuracy": {"es": "Aciertos de D", "en": "D accuracy"},
    "chart.images_per_sec": {"es": "Imágenes por segundo", "en": "Images per second"},
    "chart.g_loss": {"es": "Pérdida de G", "en": "G loss"},
    "chart.d_loss": {"es": "Pérdida de D", "en": "D loss"},
    "chart.smoothed": {"es": "{name} (suavizada)", "en": "{name} (smoothed)"},
    "chart.acc_real": {"es": "D acierta con las reales", "en": "D right on real images"},
    "chart.acc_fake": {"es": "D acierta con las falsas", "en": "D right on fake images"},
    "chart.chance": {"es": "azar (50 %)", "en": "chance (50%)"},
    "chart.images": {"es": "Imágenes", "en": "Images"},
    "chart.class": {"es": "Clase", "en": "Class"},
    "chart.score": {"es": "Puntuación de D para una imagen (logit)", "en": "D's score for an image (logit)"},
    "chart.d_on_real": {"es": "D, con una imagen real", "en": "D, on a real image"},
    "chart.d_on_fake": {"es": "D, con una imagen falsa", "en": "D, on a fake image"},
    "chart.g_on_fake": {"es": "G, con su imagen falsa", "en": "G, on its fake image"},
    "chart.without_augment": {"es": "sin aumento", "en": "without augmentation"},
    "chart.with_augment": {"es": "con DiffAugment", "en": "with DiffAugment"},
    # --- runs page ---------------------------------------------------------------------
    "runs.title": {"es": "Mis ejecuciones", "en": "My runs"},
    "runs.intro": {
        "es": "Las ejecuciones de esta sesión. Ábrelas para verlas en detalle o compara varias: mismas gráficas, "
              "cuadrículas finales lado a lado.",
        "en": "This session's runs. Open one to see it in detail, or compare several: same charts, final grids "
              "side by side.",
    },
    "runs.empty": {"es": "Todavía no hay ejecuciones en esta sesión.", "en": "There are no runs in this session yet."},
    "runs.go_train": {"es": "Ir a Entrenar", "en": "Go to Train"},
    "runs.open": {"es": "Abrir", "en": "Open"},
    "runs.delete": {"es": "Borrar", "en": "Delete"},
    "runs.delete_confirm": {"es": "Sí, borrar", "en": "Yes, delete"},
    "runs.summary": {
        "es": "{preset} · {dataset} · época {epoch} de {total} · {loss}",
        "en": "{preset} · {dataset} · epoch {epoch} of {total} · {loss}",
    },
    "runs.started": {"es": "Creada el {when}", "en": "Created {when}"},
    "runs.compare": {"es": "Comparar ejecuciones", "en": "Compare runs"},
    "runs.compare_pick": {"es": "Elige dos o más ejecuciones", "en": "Pick two or more runs"},
    "runs.compare_need_two": {"es": "Elige al menos dos ejecuciones para compararlas.", "en": "Pick at least two runs to compare them."},
    "runs.final_grids": {"es": "Cuadrículas finales", "en": "Final grids"},
    "runs.table": {"es": "Resumen", "en": "Summary"},
    "runs.differences": {"es": "Lo que cambia entre ellas", "en": "What differs between them"},
    "runs.same_settings": {
        "es": "Tienen los mismos ajustes: solo cambia el azar de cada entrenamiento.",
        "en": "They have the same settings: only each training's randomness differs.",
    },
    "runs.all_settings": {"es": "Todos los ajustes", "en": "All settings"},
    "runs.x_axis": {"es": "Eje horizontal", "en": "Horizontal axis"},
    "runs.x_axis_help": {
        "es": "Con lotes distintos, un paso no es la misma cantidad de datos: compara por épocas o por imágenes vistas.",
        "en": "With different batch sizes a step is not the same amount of data: compare by epochs or images seen.",
    },
    "runs.yes": {"es": "sí", "en": "yes"},
    "runs.no": {"es": "no", "en": "no"},
    "runs.auto": {"es": "automático", "en": "automatic"},
    "runs.diff_augment": {"es": "DiffAugment", "en": "DiffAugment"},
    "runs.clusters": {"es": "Grupos", "en": "Groups"},
    "runs.g_optimizer": {"es": "Algoritmo de G", "en": "G algorithm"},
    "runs.d_optimizer": {"es": "Algoritmo de D", "en": "D algorithm"},
    "runs.g_beta1": {"es": "beta1 de G", "en": "G beta1"},
    "runs.d_beta1": {"es": "beta1 de D", "en": "D beta1"},
    "col.run": {"es": "Ejecución", "en": "Run"},
    "col.preset": {"es": "Receta", "en": "Recipe"},
    "col.dataset": {"es": "Datos", "en": "Data"},
    "col.state": {"es": "Estado", "en": "State"},
    "col.epochs": {"es": "Épocas", "en": "Epochs"},
    "col.loss": {"es": "Pérdida", "en": "Loss"},
    "col.g_lr": {"es": "Tasa de G", "en": "G rate"},
    "col.d_lr": {"es": "Tasa de D", "en": "D rate"},
    "col.g_loss": {"es": "Pérdida final de G", "en": "Final G loss"},
    "col.d_loss": {"es": "Pérdida final de D", "en": "Final D loss"},
    "col.speed": {"es": "Imágenes/s", "en": "Images/s"},
    "col.file": {"es": "Archivo", "en": "File"},
    "col.reason": {"es": "Motivo", "en": "Reason"},
    "col.images": {"es": "Imágenes", "en": "Images"},
    "col.layer": {"es": "Capa", "en": "Layer"},
    "col.output": {"es": "Forma de la salida", "en": "Output shape"},
    "col.params": {"es": "Parámetros", "en": "Parameters"},
    # --- data page ----------------------------------------------------------------------
    "data.title": {"es": "Datos", "en": "Data"},
    "data.intro": {
        "es": "Mira las imágenes con las que aprende el discriminador, o sube tus propias fotos para entrenar con ellas.",
        "en": "Look at the images the discriminator learns from, or upload your own photos to train on them.",
    },
    "data.tab_builtin": {"es": "Conjuntos incluidos", "en": "Built-in datasets"},
    "data.tab_upload": {"es": "Tus fotos", "en": "Your photos"},
    "data.pick": {"es": "Conjunto", "en": "Dataset"},
    "data.train_images": {"es": "Imágenes de entrenamiento", "en": "Training images"},
    "data.test_images": {"es": "Imágenes de prueba", "en": "Test images"},
    "data.shape": {"es": "Tamaño de cada imagen", "en": "Image size"},
    "data.classes": {"es": "Clases", "en": "Classes"},
    "data.sample": {"es": "Una muestra al azar", "en": "A random sample"},
    "data.counts": {"es": "Imágenes por clase", "en": "Images per class"},
    "data.upload": {"es": "Sube un .zip o varias fotos", "en": "Upload a .zip or several photos"},
    "data.upload_help": {
        "es": "Dentro del .zip, cada subcarpeta se convierte en una clase. Formatos: JPEG, PNG, GIF, BMP, WEBP, TIFF.",
        "en": "Inside the .zip, each sub-folder becomes a class. Formats: JPEG, PNG, GIF, BMP, WEBP, TIFF.",
    },
    "upload.note": {
        "es": "El recuadro de subida viene de Streamlit y está en inglés: «Drag and drop…» es arrastrar aquí "
              "los archivos, «Upload» abre tu explorador de archivos y «Limit {per_file}MB per file» es el máximo por "
              "archivo: {per_file} MB.",
        "en": "At most {per_file} MB per file.",
    },
    "upload.note_total": {"es": "Entre todos, como mucho {total} MB.", "en": "At most {total} MB for all of them together."},
    "data.size": {"es": "Tamaño al que se reducen", "en": "Size they are scaled to"},
    "data.name": {"es": "Nombre del conjunto", "en": "Dataset name"},
    "data.default_name": {"es": "mis fotos", "en": "my photos"},
    "data.create": {"es": "Preparar el conjunto", "en": "Prepare the dataset"},
    "data.decoding": {"es": "Leyendo fotos: {done} de {total}", "en": "Reading photos: {done} of {total}"},
    "data.created": {"es": "Conjunto «{name}» listo: {count} imágenes.", "en": "Dataset “{name}” is ready: {count} images."},
    "data.already": {
        "es": "Estas fotos ya están preparadas como «{name}»: no se ha creado otro conjunto.",
        "en": "These photos are already prepared as “{name}”: no second dataset was made.",
    },
    "data.skipped": {"es": "Archivos omitidos ({count})", "en": "Skipped files ({count})"},
    "data.skipped_more": {"es": "… y {count} más.", "en": "… and {count} more."},
    "data.yours": {"es": "Tus conjuntos", "en": "Your datasets"},
    "data.none_yet": {"es": "Aún no has subido fotos en esta sesión.", "en": "You have not uploaded photos in this session yet."},
    "data.use": {"es": "Entrenar con este conjunto", "en": "Train on this dataset"},
    "data.delete": {"es": "Borrar", "en": "Delete"},
    "data.no_classes": {"es": "sin clases", "en": "no classes"},
    "data.summary": {
        "es": "{count} imágenes de {size}×{size} · {classes}",
        "en": "{count} images of {size}×{size} · {classes}",
    },
    # --- learn page ---------------------------------------------------------------------
    "learn.title": {"es": "Aprende cómo funciona una GAN", "en": "Learn how a GAN works"},
    "learn.what_title": {"es": "La idea", "en": "The idea"},
    "learn.what": {
        "es": "Una **red generativa antagónica** (GAN) son dos redes neuronales que juegan una contra otra:\n\n"
              "- El **generador (G)** recibe un vector de números al azar, el *vector latente* z, y lo convierte en una imagen.\n"
              "- El **discriminador (D)** recibe una imagen y da una puntuación: alta si cree que es real, baja si cree que la dibujó G.\n\n"
              "D aprende a no dejarse engañar; G aprende a engañar a D. Nadie le enseña a G una sola imagen real: "
              "solo recibe, a través de D, la señal de qué tendría que cambiar para parecer más real. Si el juego se "
              "equilibra, G acaba dibujando imágenes que se parecen a los datos.",
        "en": "A **generative adversarial network** (GAN) is two neural networks playing against each other:\n\n"
              "- The **generator (G)** takes a vector of random numbers, the *latent vector* z, and turns it into an image.\n"
              "- The **discriminator (D)** takes an image and gives it a score: high if it believes the image is real, low if it thinks G drew it.\n\n"
              "D learns not to be fooled; G learns to fool D. Nobody shows G a single real image: it only gets, "
              "through D, the signal of what to change to look more real. If the game stays balanced, G ends up "
              "drawing images that look like the data.",
    },
    "learn.loop_title": {"es": "Un paso de entrenamiento", "en": "One training step"},
    "learn.loop": {
        "es": "1. Se toma un **lote** de imágenes reales y se dibuja un lote de falsas con G a partir de ruido.\n"
              "2. **D** se actualiza para puntuar alto las reales y bajo las falsas (su *pérdida* baja si acierta).\n"
              "3. **G** se actualiza para que D puntúe alto sus falsas: su gradiente atraviesa D, pero solo cambian los pesos de G.\n\n"
              "Una **época** es una pasada por todos los datos. Cada red tiene su **optimizador** (Adam, SGD…) con su "
              "**tasa de aprendizaje**.",
        "en": "1. Take a **batch** of real images and have G draw a batch of fakes from noise.\n"
              "2. Update **D** so it scores the real ones high and the fakes low (its *loss* drops when it is right).\n"
              "3. Update **G** so D scores its fakes high: its gradient flows through D, but only G's weights change.\n\n"
              "An **epoch** is one pass over all the data. Each network has its own **optimizer** (Adam, SGD…) with "
              "its own **learning rate**.",
    },
    "learn.read_title": {"es": "Cómo leer las gráficas", "en": "How to read the charts"},
    "learn.read": {
        "es": "- Las pérdidas de una GAN **no bajan a cero**: es un juego, y si una red gana la otra pierde. Lo sano es que oscilen sin escaparse.\n"
              "- Si **D acierta casi siempre** (precisión cerca del 100 %) y la pérdida de G sube, D ha ganado y G deja de aprender.\n"
              "- Si las cuadrículas se vuelven **todas iguales**, es un *colapso de modo*: G ha encontrado un truco y lo repite.\n"
              "- La mejor prueba son las **imágenes**: mira la cuadrícula época a época.",
        "en": "- A GAN's losses **do not go to zero**: it is a game, and when one network wins the other loses. Healthy is swinging without running away.\n"
              "- If **D is nearly always right** (accuracy close to 100%) and G's loss climbs, D has won and G stops learning.\n"
              "- If the grids become **all alike**, that is *mode collapse*: G found one trick and repeats it.\n"
              "- The best test is the **images**: look at the grid epoch by epoch.",
    },
    "learn.presets_title": {"es": "Las recetas", "en": "The recipes"},
    "learn.presets_intro": {
        "es": "Cada receta reproduce un tutorial: la arquitectura de G y D y sus hiperparámetros. Aquí tienes una "
              "muestra de su generador **sin entrenar**: solo ruido con la forma de la red.",
        "en": "Each recipe reproduces a tutorial: the G and D architecture and its hyper-parameters. Here is a "
              "sample from its **untrained** generator: just noise shaped by the network.",
    },
    "learn.preset_pick": {"es": "Receta", "en": "Recipe"},
    "learn.params": {
        "es": "G tiene {g} parámetros y D tiene {d}. Por defecto: lote {batch}, espacio latente {latent}, pérdida «{loss}».",
        "en": "G has {g} parameters and D has {d}. Defaults: batch {batch}, latent size {latent}, “{loss}” loss.",
    },
    "learn.untrained": {"es": "Muestra del generador sin entrenar", "en": "Sample from the untrained generator"},
    "learn.new_sample": {"es": "Otra muestra", "en": "Another sample"},
    "learn.layers": {"es": "Capas del generador", "en": "Generator layers"},
    "learn.losses_title": {"es": "Las pérdidas", "en": "The losses"},
    "learn.losses_intro": {
        "es": "D da a cada imagen una puntuación (un *logit*: positivo = «real», negativo = «falsa»). Cada pérdida "
              "convierte esa puntuación en un castigo. Las curvas salen de las funciones que usa el motor al entrenar.",
        "en": "D gives each image a score (a *logit*: positive = “real”, negative = “fake”). Each loss turns that "
              "score into a penalty. The curves come from the very functions the engine trains with.",
    },
    "learn.loss_pick": {"es": "Pérdida", "en": "Loss"},
    "learn.loss.bce_logits": {
        "es": "La del tutorial de TensorFlow. D resuelve una clasificación «real o falsa» con entropía cruzada "
              "sobre su logit; G usa la forma *no saturante*: maximiza la probabilidad de que D se equivoque, lo que "
              "le da gradientes fuertes justo cuando peor lo hace.",
        "en": "The TensorFlow tutorial's loss. D solves a “real or fake” classification with cross-entropy on its "
              "logit; G uses the *non-saturating* form: it maximises the probability that D is wrong, which gives it "
              "strong gradients exactly when it is doing worst.",
    },
    "learn.loss.log": {
        "es": "La fórmula original de Goodfellow escrita tal cual: −log D(x) − log(1 − D(G(z))) sobre la salida "
              "sigmoide. Es matemáticamente la misma idea que la entropía cruzada, pero numéricamente menos estable.",
        "en": "Goodfellow's original formula written as is: −log D(x) − log(1 − D(G(z))) on the sigmoid output. "
              "The same idea as cross-entropy, but numerically less stable.",
    },
    "learn.loss.lsgan": {
        "es": "Mínimos cuadrados: D intenta dar 1 a las reales y 0 a las falsas, y se castiga el cuadrado de la "
              "distancia. Las imágenes muy mal clasificadas pesan mucho, lo que suaviza el entrenamiento.",
        "en": "Least squares: D tries to give 1 to real images and 0 to fakes, and the squared distance is "
              "penalised. Badly classified images weigh a lot, which smooths training.",
    },
    "learn.loss.hinge": {
        "es": "Bisagra: D solo se castiga si una imagen real puntúa por debajo de +1 o una falsa por encima de −1. "
              "Más allá del margen no hay gradiente, así que D no se obsesiona con las imágenes fáciles. Es la de SAGAN y BigGAN.",
        "en": "Hinge: D is only penalised when a real image scores below +1 or a fake one above −1. Beyond the "
              "margin there is no gradient, so D does not obsess over easy images. Used by SAGAN and BigGAN.",
    },
    "learn.loss.wgan_gp": {
        "es": "Wasserstein: D se convierte en un *crítico* que puntúa sin límite; su pérdida estima la distancia "
              "entre los datos reales y los de G. La penalización de gradiente mantiene al crítico suave. Suele "
              "usarse con 5 pasos de D por cada paso de G.",
        "en": "Wasserstein: D becomes a *critic* that scores without bounds; its loss estimates the distance "
              "between the real data and G's. The gradient penalty keeps the critic smooth. Usually paired with 5 D "
              "steps per G step.",
    },
    "learn.groups_title": {"es": "Dígitos a medio camino: grupos sin etiquetas",
                           "en": "Digits halfway between two: groups without labels"},
    "learn.groups_intro": {
        "es": "El generador es una función continua de z: si un punto de z da un 4 y otro cercano da un 9, entre "
              "ellos dibuja algo que no es ni 4 ni 9. Esas figuras son las que nadie reconoce, y por eso nuestras "
              "GAN sin etiquetas se quedaban cerca del 70 % de dígitos reconocibles, mientras que las mismas redes "
              "con la etiqueta llegaban al 98 %.\n\n"
              "El **autocondicionamiento** (Liu et al., 2020) reparte antes las imágenes reales en grupos de "
              "parecidas con k-means, sin mirar ninguna etiqueta (los dígitos, enderezados antes: así un 1 inclinado "
              "va con los 1 y no con los 7). D sabe de qué grupo es cada imagen y G saca el "
              "grupo de la coordenada z[0]: al cruzar un corte, G salta de un grupo a otro en vez de fundirlos. "
              "Con 80 grupos, la receta `fast` pasa del 62 % al 90 % de dígitos reconocibles en menos de un minuto.",
        "en": "The generator is a continuous function of z: if one point of z gives a 4 and a nearby one gives a "
              "9, between them it draws something that is neither. Those are the shapes nobody can read, and why "
              "our GANs without labels stalled near 70% recognisable digits while the same networks given the "
              "label reached 98%.\n\n"
              "**Self-conditioning** (Liu et al., 2020) first splits the real images into groups of look-alikes "
              "with k-means, without looking at any label (digits are straightened first, so a slanted 1 joins the "
              "1s rather than the 7s). D knows each image's group and G takes the group from "
              "coordinate z[0]: crossing a cut, G jumps from one group to another instead of blending them. With "
              "80 groups the `fast` recipe goes from 62% to 90% recognisable digits in under a minute.",
    },
    "learn.groups_dim0": {
        "es": "Solo cambia z[0], de −2,5 a 2,5: G cambia de grupo, y de dígito, a saltos.",
        "en": "Only z[0] changes, from −2.5 to 2.5: G changes group, and digit, in jumps.",
    },
    "learn.groups_dim1": {
        "es": "Solo cambia z[1], igual: el grupo es el mismo y cambia el trazo, poco a poco.",
        "en": "Only z[1] changes, the same way: the group stays and the stroke changes, little by little.",
    },
    "learn.groups_how": {
        "es": "El generador MNIST incluido ({groups} grupos). En «Explorar» puedes mover z[0] tú mismo.",
        "en": "The bundled MNIST generator ({groups} groups). On “Explore” you can move z[0] yourself.",
    },
    "learn.augment_title": {"es": "Pocas fotos: aumento diferenciable", "en": "Few photos: differentiable augmentation"},
    "learn.augment_intro": {
        "es": "Con unos pocos cientos de fotos, D puede **aprenderse de memoria** las reales: le basta con reconocer "
              "esas fotos concretas para acertar siempre, sin aprender cómo es un pájaro, y entonces deja de darle a G "
              "una señal útil. Abajo, la muestra de pájaros entrenada dos veces con la misma receta, la misma semilla "
              "y las mismas épocas: la única diferencia es el aumento DiffAugment.",
        "en": "With a few hundred photos, D can **memorise** the real ones: recognising those particular photos is "
              "enough to always be right, without learning what a bird looks like, and then it stops giving G a "
              "useful signal. Below, the birds sample trained twice with the same recipe, the same seed and the same "
              "epochs: the only difference is DiffAugment.",
    },
    "learn.augment_epoch": {"es": "Época que se compara", "en": "Epoch to compare"},
    "learn.augment_without": {"es": "Sin aumento", "en": "Without augmentation"},
    "learn.augment_with": {"es": "Con DiffAugment (color, desplazamiento y recorte)", "en": "With DiffAugment (colour, translation and cutout)"},
    "learn.augment_caption": {
        "es": "Época {epoch} · D acierta con el {real} de las fotos reales",
        "en": "Epoch {epoch} · D right on {real} of the real photos",
    },
    "learn.augment_seen": {
        "es": "**Lo que se ve.** Sin aumento, D acierta con el {early_without} de las fotos reales durante las "
              "primeras {early} épocas (con DiffAugment, con el {early_with}): gana con tanta facilidad que G apenas "
              "recibe una señal útil, y sus primeras cuadrículas se quedan en manchas casi iguales. Con DiffAugment, "
              "D duda más (de media acierta con el {mean_with} de las reales, frente "
              "al {mean_without} sin aumento; en la última época, {final_with} frente a {final_without}) y G aprende "
              "desde el principio: compara las cuadrículas época a época.",
        "en": "**What you see.** Without augmentation, D is right on {early_without} of the real photos over the "
              "first {early} epochs (with DiffAugment, on {early_with}): it wins so easily that G hardly gets a "
              "useful signal, and its first grids stay almost identical smudges. With DiffAugment, D is less sure "
              "(on average right on {mean_with} of the real photos, against {mean_without} without "
              "augmentation; in the last epoch, {final_with} against {final_without}) and G learns from the start: "
              "compare the grids epoch by epoch.",
    },
    "learn.augment_why": {
        "es": "**Por qué ayuda.** DiffAugment cambia al azar cada imagen cada vez que D la mira: brillo, saturación y "
              "contraste, un desplazamiento de hasta 1/8 del lado y un recuadro de medio lado tapado (*cutout*). D "
              "nunca ve dos veces la misma foto, así que no puede memorizarlas y tiene que fijarse en lo que tienen "
              "en común.\n\n"
              "La clave es aumentar **las reales y las falsas por igual**, también en el paso de G, con operaciones "
              "diferenciables para que el gradiente llegue a G a través del aumento. Si solo se aumentaran las "
              "reales, D aprendería que «con recorte = real» y G acabaría dibujando recortes; como ambas pasan por el "
              "mismo cambio, lo único que las distingue es el contenido, y G aprende imágenes sin aumento.\n\n"
              "Fuentes: Zhao et al. 2020, *Differentiable Augmentation for Data-Efficient GAN Training* (NeurIPS), y "
              "Karras et al. 2020, *Training Generative Adversarial Networks with Limited Data* (ADA), que regula la "
              "fuerza del aumento según cuánto acierta D con las reales. Aquí se activa sola con menos de 2000 imágenes "
              "(casilla «DiffAugment» del formulario de entrenamiento).",
        "en": "**Why it helps.** DiffAugment changes every image at random each time D looks at it: brightness, "
              "saturation and contrast, a shift of up to 1/8 of the side and a half-side square blanked out "
              "(*cutout*). D never sees the same photo twice, so it cannot memorise them and has to look at what they "
              "have in common.\n\n"
              "The key is to augment **real and fake images alike**, in G's step too, with differentiable operations "
              "so the gradient reaches G through the augmentation. If only the real ones were augmented, D would learn "
              "that “cut out = real” and G would end up drawing cut-outs; since both go through the same change, only "
              "the content tells them apart, and G learns un-augmented images.\n\n"
              "Sources: Zhao et al. 2020, *Differentiable Augmentation for Data-Efficient GAN Training* (NeurIPS), and "
              "Karras et al. 2020, *Training Generative Adversarial Networks with Limited Data* (ADA), which tunes "
              "the augmentation's strength from how often D is right on real images. Here it turns itself on under "
              "2000 images (the “DiffAugment” box in the training form).",
    },
    "learn.augment_how": {
        "es": "{images} fotos de 32×32, {epochs} épocas cada ejecución: {without} s sin aumento y {with_} s con él en "
              "{machine}, {cores} núcleos (carga media al empezar: {load}). Se rehace con `{command}`.",
        "en": "{images} photos at 32×32, {epochs} epochs per run: {without} s without augmentation and {with_} s with "
              "it on {machine}, {cores} cores (load average at the start: {load}). Rebuilt with `{command}`.",
    },
    "learn.augment_missing": {
        "es": "Falta la carpeta docs/learn/diffaugment: créala con `python3 scripts/make_diffaugment_demo.py`.",
        "en": "The docs/learn/diffaugment folder is missing: make it with `python3 scripts/make_diffaugment_demo.py`.",
    },
    # --- the class: exercise links, limits, gallery, projector (gan_ui/classroom_view.py) ----------------------
    "nav.gallery": {"es": "Galería de la clase", "en": "Class gallery"},
    "nav.projector": {"es": "Proyector", "en": "Projector"},
    "exercise.make": {"es": "Copiar enlace del ejercicio", "en": "Copy exercise link"},
    "exercise.make_help": {
        "es": "Crea una dirección que abre este formulario con el conjunto de datos, la receta, todos los valores y "
              "la semilla tal como están ahora, en una sesión nueva para quien la abra. No empieza ningún entrenamiento.",
        "en": "Makes an address that opens this form with the dataset, recipe, every value and the seed as they are "
              "now, in a fresh session for whoever opens it. It does not start any training.",
    },
    "exercise.ready": {
        "es": "Enlace del ejercicio listo: cópialo con el botón de la derecha del recuadro. No lleva tu sesión: cada "
              "estudiante que lo abra empieza en una sesión propia.",
        "en": "Exercise link ready: copy it with the button at the right of the box. It does not carry your session: "
              "each student who opens it starts in a session of their own.",
    },
    "exercise.lock": {"es": "Bloquear en el enlace", "en": "Lock in the link"},
    "exercise.lock_help": {
        "es": "Estos controles se verán pero no se podrán cambiar (por ejemplo, bloquea todo menos la tasa de aprendizaje).",
        "en": "These controls are shown but cannot be changed (for example, lock everything but the learning rate).",
    },
    "exercise.none": {"es": "Ninguno", "en": "None"},
    "exercise.hide": {"es": "Ocultar en el enlace", "en": "Hide in the link"},
    "exercise.hide_help": {
        "es": "Estos controles no se mostrarán; se usa el valor del enlace.",
        "en": "These controls are not shown; the link's value is used.",
    },
    "exercise.opened": {
        "es": "Has abierto un ejercicio: el formulario ya tiene sus valores. Pulsa «Entrenar» cuando quieras empezar.",
        "en": "You opened an exercise: the form already holds its values. Press “Train” when you want to start.",
    },
    "exercise.locked": {
        "es": "Tu profesor ha fijado (🔒): {fields}.",
        "en": "Your teacher fixed (🔒): {fields}.",
    },
    "exercise.hidden": {
        "es": "Hay {count} controles ocultos con valores fijados por el ejercicio.",
        "en": "{count} controls are hidden, with values the exercise sets.",
    },
    "error.exercise_value": {
        "es": "Este enlace de ejercicio trae un valor no válido para «{field}» ({value}). No se ha aplicado nada; pide "
              "a tu profesor un enlace nuevo.",
        "en": "This exercise link carries an invalid value for “{field}” ({value}). Nothing was applied; ask your "
              "teacher for a new link.",
    },
    "error.exercise_own": {
        "es": "Un enlace de ejercicio solo puede usar los conjuntos de datos incluidos y empezar desde cero o desde un "
              "generador incluido: tus fotos y tus ejecuciones son solo tuyas.",
        "en": "An exercise link can only use the bundled datasets and start from scratch or from a bundled generator: "
              "your photos and your runs are yours alone.",
    },
    "limits.say": {"es": "Límites de la clase: {limits}.", "en": "Class limits: {limits}."},
    "limits.say_epochs": {"es": "como mucho {limit} épocas", "en": "at most {limit} epochs"},
    "limits.say_minutes": {"es": "como mucho {limit} minutos por ejecución", "en": "at most {limit} minutes per run"},
    "limits.say_size": {"es": "imágenes de hasta {limit}×{limit}", "en": "images up to {limit}×{limit}"},
    "limits.say_choices": {"es": "solo las recetas y datos que ha elegido tu profesor",
                           "en": "only the recipes and data your teacher chose"},
    "limits.title": {"es": "Límites de la clase", "en": "Class limits"},
    "limits.intro": {
        "es": "Se aplican a cada ejecución nueva (no a las que ya están en marcha). Quien pida más ve el motivo.",
        "en": "They apply to every new run (not to those already going). Whoever asks for more sees the reason.",
    },
    "limits.max_epochs": {"es": "Máximo de épocas por ejecución", "en": "Maximum epochs per run"},
    "limits.max_minutes": {"es": "Máximo de minutos por ejecución", "en": "Maximum minutes per run"},
    "limits.image_size": {"es": "Tamaño máximo de imagen (fotos)", "en": "Maximum image size (photos)"},
    "limits.none": {"es": "sin límite", "en": "no limit"},
    "limits.zero_none": {"es": "0: sin límite.", "en": "0: no limit."},
    "limits.empty_all": {"es": "Vacío: se ofrecen todos.", "en": "Empty: all are offered."},
    "limits.presets": {"es": "Recetas que se ofrecen", "en": "Recipes offered"},
    "limits.datasets": {"es": "Conjuntos de datos que se ofrecen", "en": "Datasets offered"},
    "limits.uploads": {"es": "Fotos propias de cada estudiante", "en": "Each student's own photos"},
    "limits.save": {"es": "Guardar límites", "en": "Save limits"},
    "limits.saved": {"es": "Límites guardados: valen para las próximas ejecuciones.",
                     "en": "Limits saved: they apply to the next runs."},
    "share.title": {"es": "Compartir con la clase", "en": "Share with the class"},
    "share.nickname": {"es": "Tu apodo en la galería", "en": "Your nickname in the gallery"},
    "share.nickname_help": {
        "es": "Lo verá toda la clase junto a tu cuadrícula y tus curvas. No pongas tu dirección ni datos personales.",
        "en": "The whole class sees it beside your grid and curves. Do not put your address or personal data.",
    },
    "share.button": {"es": "Compartir esta ejecución", "en": "Share this run"},
    "share.shared": {"es": "Compartida en la galería como **{nickname}**.", "en": "Shared in the gallery as **{nickname}**."},
    "share.hidden_by_teacher": {"es": "Tu profesor la ha ocultado de la galería de la clase.",
                                "en": "Your teacher has hidden it from the class gallery."},
    "share.stop": {"es": "Dejar de compartir", "en": "Stop sharing"},
    "gallery.title": {"es": "Galería de la clase", "en": "Class gallery"},
    "gallery.intro": {
        "es": "Las ejecuciones que tus compañeros han decidido compartir, con su cuadrícula más reciente y sus curvas, "
              "en vivo.",
        "en": "The runs your classmates chose to share, with their newest grid and their curves, live.",
    },
    "gallery.empty": {
        "es": "Nadie ha compartido todavía una ejecución. Compártela desde la página Entrenar, debajo de tu ejecución.",
        "en": "Nobody has shared a run yet. Share yours from the Train page, under your run.",
    },
    "gallery.recipe": {"es": "{preset} · {dataset} · época {epoch}/{total}",
                       "en": "{preset} · {dataset} · epoch {epoch}/{total}"},
    "gallery.hidden": {"es": "oculta", "en": "hidden"},
    "gallery.hide": {"es": "Ocultar", "en": "Hide"},
    "gallery.show": {"es": "Mostrar", "en": "Show"},
    "gallery.project": {"es": "Proyectar", "en": "Project"},
    "projector.title": {"es": "Proyector", "en": "Projector"},
    "projector.choose": {"es": "Ejecución", "en": "Run"},
    "projector.own": {"es": "Mi ejecución {run_id}", "en": "My run {run_id}"},
    "projector.empty": {
        "es": "No hay nada que proyectar: comparte una ejecución con la clase o entrena una en esta sesión.",
        "en": "Nothing to project: share a run with the class or train one in this session.",
    },
    "teacher.tab_jobs": {"es": "Trabajos", "en": "Jobs"},
    "teacher.tab_gallery": {"es": "Galería", "en": "Gallery"},
    "teacher.tab_limits": {"es": "Límites", "en": "Limits"},
    "teacher.tab_exercise": {"es": "Enlace de ejercicio", "en": "Exercise link"},
    "teacher.exercise_how": {
        "es": "En la página Entrenar, prepara el formulario como quieras que lo vean tus estudiantes, elige qué "
              "controles bloquear u ocultar (solo lo ves tú, con la sesión de profesor abierta) y pulsa «Copiar enlace "
              "del ejercicio». El enlace va firmado por este servidor: si alguien lo cambia, se rechaza.",
        "en": "On the Train page, set the form up as your students should see it, choose which controls to lock or "
              "hide (only you see this, while signed in as teacher) and press “Copy exercise link”. The link is "
              "signed by this server: if anyone changes it, it is refused.",
    },
    "teacher.generated": {
        "es": "No hay contraseña en .streamlit/secrets.toml: este servidor ha creado una y la ha escrito en su consola "
              "al arrancar (se guarda en la carpeta de sesiones, fuera del repositorio).",
        "en": "There is no password in .streamlit/secrets.toml: this server made one and wrote it in its console at "
              "start (it is kept in the sessions folder, outside the repository).",
    },
}

TEXTS.update(_UI_TEXTS)

__all__ = ["TEXTS", "tr", "LANGUAGES", "DEFAULT_LANGUAGE", "LANGUAGE_NAMES"]
