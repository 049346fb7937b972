'use strict';

// A Kong JavaScript plugin (kong-js-pdk format) that runs unchanged on Kong (through
// kong-js-pluginserver) and on Sluice (in-process): it greets the caller in a response header,
// tells the upstream who was greeted, and refuses callers that send no User-Agent.
//
// Sluice: `sluice start --plugins-dir examples/plugins`, then in gateway.yaml:
//   plugins: [{ name: js-greeting, config: { greeting: Hello } }]

class GreetingPlugin {
  constructor(config) {
    this.config = config;
  }

  async access(kong) {
    const agent = await kong.request.getHeader('user-agent');
    if (!agent) {
      return kong.response.exit(400, { message: 'say who you are (User-Agent)' });
    }
    const host = await kong.request.getHost();
    await Promise.all([
      kong.response.setHeader('x-greeting', `${this.config.greeting} from ${host}`),
      kong.service.request.setHeader('x-greeted-agent', agent),
    ]);
    await kong.log.info('greeted ' + agent);
  }
}

module.exports = {
  Plugin: GreetingPlugin,
  Schema: [{ greeting: { type: 'string', default: 'Hello', len_min: 1 } }],
  Version: '1.0.0',
  Priority: 800,
};
