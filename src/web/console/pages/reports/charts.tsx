// The reports' pictures, drawn by recharts. Amounts arrive as the API's numbers (dollars with two
// decimals) and are only plotted: every figure a person reads is in the table beside the chart.
import {
  Bar,
  BarChart,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { formatMoney } from '../../shared/format.ts';

const chartColors = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2', '#be185d'];

const compactMoney = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  notation: 'compact',
  maximumFractionDigits: 1,
});
const axisMoney = (value: number) => compactMoney.format(value);
const tooltipMoney = (value: unknown) => formatMoney(Number(value));
/** "2026-03-05" → "Mar 5" on an axis. */
const shortDay = (date: string) =>
  new Date(`${date}T00:00:00Z`).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });

type Series = { key: string; label: string };

/** Bars of money, one per category (`x`), or stacked by `series`. */
export function MoneyBars({
  data,
  x,
  series,
  days = false,
}: {
  data: Record<string, number | string>[];
  x: string;
  series: Series[];
  days?: boolean;
}) {
  return (
    <ResponsiveContainer width="100%" height={280}>
      <BarChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey={x} tickFormatter={days ? shortDay : undefined} minTickGap={12} />
        <YAxis tickFormatter={axisMoney} width={64} />
        <Tooltip formatter={tooltipMoney} labelFormatter={days ? (label) => shortDay(String(label)) : undefined} />
        {series.length > 1 && <Legend />}
        {series.map((s, index) => (
          <Bar
            key={s.key}
            dataKey={s.key}
            name={s.label}
            stackId="stack"
            fill={chartColors[index % chartColors.length]}
            isAnimationActive={false}
          />
        ))}
      </BarChart>
    </ResponsiveContainer>
  );
}

/** Autopay: attempts that succeeded and were declined per day (bars), the success rate (line). */
export function AutopayChart({
  data,
}: {
  data: { date: string; succeeded: number; declined: number; successRate: number | null }[];
}) {
  return (
    <ResponsiveContainer width="100%" height={280}>
      <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="date" tickFormatter={shortDay} minTickGap={12} />
        <YAxis yAxisId="count" allowDecimals={false} width={40} />
        <YAxis yAxisId="rate" orientation="right" domain={[0, 100]} unit="%" width={48} />
        <Tooltip labelFormatter={(label) => shortDay(String(label))} />
        <Legend />
        <Bar
          yAxisId="count"
          dataKey="succeeded"
          name="Succeeded"
          stackId="a"
          fill={chartColors[1]}
          isAnimationActive={false}
        />
        <Bar
          yAxisId="count"
          dataKey="declined"
          name="Declined"
          stackId="a"
          fill={chartColors[3]}
          isAnimationActive={false}
        />
        <Line
          yAxisId="rate"
          dataKey="successRate"
          name="Success rate (%)"
          stroke={chartColors[0]}
          connectNulls
          dot={false}
          isAnimationActive={false}
        />
      </ComposedChart>
    </ResponsiveContainer>
  );
}
