import { describe, expect, it } from 'vitest';
import { repairMojibake } from './mojibake.js';

describe('repairMojibake', () => {
  it('turns UTF-8 read as Windows-1252 back into its characters, and says where', () => {
    expect(repairMojibake('# Done\n\nâœ… fixed â†’ next\n')).toEqual({
      text: '# Done\n\n✅ fixed → next\n',
      repairs: [
        { line: 3, from: 'âœ…', to: '✅', encoding: 'windows-1252' },
        { line: 3, from: 'â†’', to: '→', encoding: 'windows-1252' },
      ],
    });
  });

  it('turns UTF-8 read as Mac Roman back', () => {
    expect(repairMojibake('‚úÖ The incident has been resolved.').text).toBe(
      '✅ The incident has been resolved.',
    );
  });

  it('puts back a variation selector whose last byte Windows-1252 lost', () => {
    expect(repairMojibake('## ðŸ—„ï¸ Database Issues').text).toBe('## 🗄️ Database Issues');
  });

  it('leaves text that is right, and runs that do not decode whole', () => {
    const right = 'café résumé naïve — “quoted” ©2024 ✅ →';
    expect(repairMojibake(right)).toEqual({ text: right, repairs: [] });
    // 🐌 lost its third byte (0x90, undefined in Windows-1252): no one repair is certain.
    expect(repairMojibake('## ðŸŒ Performance').repairs).toEqual([]);
  });
});
