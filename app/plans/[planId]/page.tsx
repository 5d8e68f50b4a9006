import { notFound, redirect } from 'next/navigation';
import { isPlanId, loadPlan } from '@/app/_lib/data';
import { planPlaceHref } from '../pager';

export const dynamic = 'force-dynamic';

/** A plan's own URL: its place on the plans page. */
export default async function PlanPage({ params }: { params: Promise<{ planId: string }> }) {
  const { planId } = await params;
  if (!isPlanId(planId) || !(await loadPlan(planId))) notFound();
  redirect(planPlaceHref(planId));
}
