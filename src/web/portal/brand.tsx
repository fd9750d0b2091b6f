// The agency as its clients see it: its logo (or the first letter of its name on its colour) and
// its name. In the signed-in header, and above the sign-in and enrollment forms.
import { useEffect, useState } from 'react';
import { getPublicAgency, type PortalAgency } from './api.ts';

export function BrandMark({ agency }: { agency: PortalAgency }) {
  const color = agency.primaryColor;
  return (
    <>
      {agency.logoUrl ? (
        <img className="brand-logo" src={agency.logoUrl} alt="" height={28} />
      ) : (
        <span
          className="brand-mark"
          aria-hidden="true"
          data-testid="brand-mark"
          style={color ? { background: color } : undefined}
        >
          {agency.name.slice(0, 1).toUpperCase()}
        </span>
      )}
      <span className="brand-name">{agency.name}</span>
    </>
  );
}

/** The branding of the agency a signed-out page is for (from its link, or the one last used); null while unknown. */
export function usePublicAgency(slug: string | null): PortalAgency | null {
  const [agency, setAgency] = useState<PortalAgency | null>(null);
  useEffect(() => {
    if (!slug) return;
    const controller = new AbortController();
    // An unknown or mistyped slug keeps the plain page: the form below says what is wrong.
    getPublicAgency(slug, controller.signal).then(setAgency, () => undefined);
    return () => controller.abort();
  }, [slug]);
  return agency;
}
