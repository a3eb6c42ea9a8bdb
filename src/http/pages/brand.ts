import type { Client } from '../../oidc/clients.js';
import { html, type SafeHtml } from './html.js';

/**
 * The diary a page speaks of, from the client's registration (never from code): «электронный
 * дневник», followed by the product name in quotes when the client gives one. The generic noun
 * declines and the quoted name stays as it is, so every sentence reads right for any name.
 */
export interface Brand {
  productName?: string | undefined;
  supportContact?: string | undefined;
  helpUri?: string | undefined;
}

/** Pages reached before a client is known. */
export const NEUTRAL_BRAND: Brand = {};

export function brandOf(client: Pick<Client, 'productName' | 'supportContact' | 'helpUri'> | null | undefined): Brand {
  return client ? { productName: client.productName, supportContact: client.supportContact, helpUri: client.helpUri } : NEUTRAL_BRAND;
}

/** The diary's name in the cases the pages use: nominative/accusative, genitive, prepositional. */
export function diaryName(brand: Brand): { acc: string; gen: string; prep: string } {
  const name = brand.productName ? ` «${brand.productName}»` : '';
  return { acc: `электронный дневник${name}`, gen: `электронного дневника${name}`, prep: `электронном дневнике${name}` };
}

/** The diary's help and support, when the client registered them. */
export function supportLine(brand: Brand): SafeHtml | false {
  if (!brand.helpUri && !brand.supportContact) return false;
  return html`<p class="hint" id="diary-support">${brand.helpUri ? html`<a href="${brand.helpUri}">Справка о входе через госуслуги</a>` : false}${brand.helpUri && brand.supportContact ? ' · ' : ''}${brand.supportContact ? `Служба поддержки ${diaryName(brand).gen}: ${brand.supportContact}` : ''}</p>`;
}
