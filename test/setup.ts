// config/ never imports plugins/ at run time (ARCHITECTURE.md): the plugin catalogue registers
// itself with the configuration loader when it loads, as the CLI, gateway and workers load it.
import '../src/plugins/catalogue.js';
