// The portal's route table (paths under /portal) and the agency the portal is for.

export type PortalRoute =
  | { name: 'dashboard' }
  | { name: 'enroll'; agency: string | null; token: string | null }
  | { name: 'sign-in'; agency: string | null; token: string | null; requestId: string | null }
  | { name: 'payments' }
  | { name: 'checkout'; requestId: string | null }
  | { name: 'not-found' };

export function matchPortalRoute(location: string): PortalRoute {
  const url = new URL(location, 'http://localhost');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const q = (name: string) => url.searchParams.get(name);
  if (path === '/portal') return { name: 'dashboard' };
  if (path === '/portal/enroll') return { name: 'enroll', agency: q('agency'), token: q('token') };
  if (path === '/portal/sign-in')
    return { name: 'sign-in', agency: q('agency'), token: q('token'), requestId: q('request') };
  if (path === '/portal/payments') return { name: 'payments' };
  if (path === '/portal/pay') return { name: 'checkout', requestId: null };
  const pay = /^\/portal\/pay\/([A-Za-z0-9_-]{1,64})$/.exec(path);
  if (pay?.[1]) return { name: 'checkout', requestId: pay[1] };
  return { name: 'not-found' };
}

/** Signed-out visitors may only be on these pages. */
export function isPublic(route: PortalRoute): boolean {
  return route.name === 'enroll' || route.name === 'sign-in';
}

const AGENCY_KEY = 'policypay.portal.agency';

/** The agency slug from the last link or sign-in, so a bare /portal/sign-in knows whom to ask. */
export function rememberedAgency(): string | null {
  try {
    return window.localStorage.getItem(AGENCY_KEY);
  } catch {
    return null;
  }
}

export function rememberAgency(slug: string): void {
  try {
    window.localStorage.setItem(AGENCY_KEY, slug);
  } catch {
    // Private mode: the agency code field is shown instead.
  }
}
