/** Sinch's Conversation API regions (apps are regional), and SANDBOX for the built-in emulator. */
export const regions = ['EU', 'US', 'BR', 'SANDBOX'] as const;
export type Region = (typeof regions)[number];

export interface SinchHostsConfig {
  sinchAuthUrl: string;
  sinchConversationUrlEu: string;
  sinchConversationUrlUs: string;
  sinchConversationUrlBr: string;
  sinchTemplatesUrlEu: string;
  sinchTemplatesUrlUs: string;
  sinchTemplatesUrlBr: string;
  sinchProvisioningUrl: string;
}

export interface SinchHosts {
  /** Base URL of the OAuth2 service (`…/oauth2/token` is appended), or undefined when the region is not available. */
  authUrl(region: Region): string | undefined;
  conversationUrl(region: Region): string | undefined;
  /** Template Management API v2 (omni-channel templates): `https://{region}.template.api.sinch.com`. */
  templatesUrl(region: Region): string | undefined;
  /** Provisioning API (WhatsApp templates): one global host. */
  provisioningUrl(region: Region): string | undefined;
}

/**
 * Region → base URLs. EU, US and BR come from configuration (real Sinch by default); SANDBOX is the built-in
 * emulator, whose address is known only once the server listens, and which serves every Sinch API on that one base.
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
    templatesUrl(region) {
      switch (region) {
        case 'EU': return config.sinchTemplatesUrlEu;
        case 'US': return config.sinchTemplatesUrlUs;
        case 'BR': return config.sinchTemplatesUrlBr;
        case 'SANDBOX': return sandboxUrl();
      }
    },
    provisioningUrl: (region) => (region === 'SANDBOX' ? sandboxUrl() : config.sinchProvisioningUrl),
  };
}
