/** Sinch's Conversation API regions (apps are regional), and SANDBOX for the built-in emulator. */
export const regions = ['EU', 'US', 'BR', 'SANDBOX'] as const;
export type Region = (typeof regions)[number];

export interface SinchHostsConfig {
  sinchAuthUrl: string;
  sinchConversationUrlEu: string;
  sinchConversationUrlUs: string;
  sinchConversationUrlBr: string;
}

export interface SinchHosts {
  /** Base URL of the OAuth2 service (`…/oauth2/token` is appended), or undefined when the region is not available. */
  authUrl(region: Region): string | undefined;
  conversationUrl(region: Region): string | undefined;
}

/**
 * Region → base URLs. EU, US and BR come from configuration (real Sinch by default); SANDBOX is the built-in
 * emulator, whose address is known only once the server listens.
 */
export function createSinchHosts(config: SinchHostsConfig, sandboxUrl: () => string | undefined): SinchHosts {
  return {
    authUrl: (region) => (region === 'SANDBOX' ? sandboxUrl() : config.sinchAuthUrl),
    conversationUrl(region) {
      switch (region) {
        case 'EU': return config.sinchConversationUrlEu;
        case 'US': return config.sinchConversationUrlUs;
        case 'BR': return config.sinchConversationUrlBr;
        case 'SANDBOX': return sandboxUrl();
      }
    },
  };
}
