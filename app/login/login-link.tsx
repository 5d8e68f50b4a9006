'use client';
/** "Log in" that brings the user back to the page they were on. */
import Link from 'next/link';
import { usePathname } from 'next/navigation';

export default function LoginLink() {
  const pathname = usePathname();
  const href = !pathname || pathname === '/' || pathname.startsWith('/login') ? '/login' : `/login?next=${encodeURIComponent(pathname)}`;
  return (
    <Link className="btn btn-link" href={href}>
      Log in
    </Link>
  );
}
