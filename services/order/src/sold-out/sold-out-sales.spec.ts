import { SoldOutSales } from './sold-out-sales';

// remembers says whether a request is refused from memory, takeTurnToAsk whether it asks inventory all the same;
// how OrderSaga's step 0 puts the two together is for sold-out-memory.e2e-spec.ts.
describe('SoldOutSales: the sales inventory just said were sold out', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => (now = 1_000));

  it('given inventory refused 1 ticket of a sale, when 1 or 2 more are asked within half the ttl, then they are refused from memory', () => {
    // given
    const sales = new SoldOutSales(250, clock);
    sales.refused('final', 1);

    // when / then
    now += 124;
    expect(sales.remembers('final', 1)).toBe(true);
    expect(sales.remembers('final', 2)).toBe(true);
    expect(sales.remembers('encore', 1)).toBe(false);
    expect(sales.takeTurnToAsk('final', 1)).toBe(false);
  });

  it('given the turn to ask is due, when wouldRefuse is asked, then it answers as remembers and takeTurnToAsk would together, and leaves the turn to take', () => {
    // given
    const sales = new SoldOutSales(250, clock);
    sales.refused('final', 1);
    now += 125; // half the ttl: one request may ask

    // when / then
    expect(sales.wouldRefuse('final', 1, true)).toBe(false); // this one would ask
    expect(sales.wouldRefuse('final', 1, false)).toBe(true); // one that may not ask is refused
    expect(sales.wouldRefuse('final', 2, true)).toBe(true); // only the refused quantity asks
    expect(sales.wouldRefuse('encore', 1, true)).toBe(false);
    expect(sales.takeTurnToAsk('final', 1)).toBe(true); // the turn was left as it was
    expect(sales.wouldRefuse('final', 1, true)).toBe(true); // and once taken, the others are refused
  });

  it('given a refusal, when the ttl has passed, then inventory is asked again', () => {
    // given
    const sales = new SoldOutSales(250, clock);
    sales.refused('final', 1);

    // when
    now += 250;

    // then
    expect(sales.remembers('final', 1)).toBe(false);
  });

  it('given inventory refused 3 tickets, when 2 are asked, then inventory is asked (2 may still be there)', () => {
    // given
    const sales = new SoldOutSales(250, clock);
    sales.refused('final', 3);

    // when / then
    expect(sales.remembers('final', 2)).toBe(false);
    expect(sales.remembers('final', 3)).toBe(true);
    expect(sales.takeTurnToAsk('final', 3)).toBe(false);
    expect(sales.remembers('final', 4)).toBe(true);
  });

  it('given refusals of 1 then 3 tickets, when 2 are asked, then the refusal of 1 answers, as old as it is', () => {
    // given
    const sales = new SoldOutSales(250, clock);
    sales.refused('final', 1);
    now += 100;
    sales.refused('final', 3);

    // when / then
    expect(sales.remembers('final', 2)).toBe(true);
    expect(sales.takeTurnToAsk('final', 2)).toBe(false);
    now += 150;
    expect(sales.remembers('final', 2)).toBe(false);
  });

  it('given a refusal of 1 ticket, when 2 are asked past half the ttl, then they are refused and do not take the turn to ask', () => {
    // given
    const sales = new SoldOutSales(250, clock);
    sales.refused('final', 1);

    // when
    now += 125;

    // then
    expect(sales.remembers('final', 2)).toBe(true);
    expect(sales.takeTurnToAsk('final', 2)).toBe(false);
    expect(sales.remembers('final', 1)).toBe(true);
    expect(sales.takeTurnToAsk('final', 1)).toBe(true);
  });

  it('given requests that may not ask (the saga is behind), when half the ttl has passed, then they are still refused', () => {
    // given
    const sales = new SoldOutSales(250, clock);
    sales.refused('final', 1);

    // when
    now += 125;

    // then
    expect(sales.remembers('final', 1)).toBe(true); // refused, without taking the turn
    expect(sales.takeTurnToAsk('final', 1)).toBe(true); // still there for a request that may ask
  });

  it('given a refusal, when half the ttl has passed, then one request asks inventory and the others are still refused', () => {
    // given
    const sales = new SoldOutSales(250, clock);
    sales.refused('final', 1);

    // when
    now += 125;

    // then
    expect(sales.remembers('final', 1)).toBe(true);
    expect(sales.takeTurnToAsk('final', 1)).toBe(true);
    expect(sales.takeTurnToAsk('final', 1)).toBe(false);
    expect(sales.remembers('final', 2)).toBe(true);
    expect(sales.takeTurnToAsk('final', 2)).toBe(false);
  });

  it('given one request is asking inventory, when inventory refuses again, then the sale is refused from memory for another ttl', () => {
    // given
    const sales = new SoldOutSales(250, clock);
    sales.refused('final', 1);
    now += 125;
    sales.takeTurnToAsk('final', 1);

    // when
    now += 10;
    sales.refused('final', 1);

    // then
    now += 124;
    expect(sales.remembers('final', 1)).toBe(true);
    expect(sales.takeTurnToAsk('final', 1)).toBe(false);
    now += 1;
    expect(sales.takeTurnToAsk('final', 1)).toBe(true);
    expect(sales.remembers('final', 1)).toBe(true);
    expect(sales.takeTurnToAsk('final', 1)).toBe(false);
  });

  it('given the request asking inventory never hears back, when a quarter of the ttl has passed, then another asks, and after the ttl every request', () => {
    // given
    const sales = new SoldOutSales(250, clock);
    sales.refused('final', 1);
    now += 125;
    sales.takeTurnToAsk('final', 1);

    // when / then
    now += 62;
    expect(sales.remembers('final', 1)).toBe(true);
    expect(sales.takeTurnToAsk('final', 1)).toBe(false);
    now += 1;
    expect(sales.takeTurnToAsk('final', 1)).toBe(true);
    expect(sales.takeTurnToAsk('final', 1)).toBe(false);
    now += 62;
    expect(sales.remembers('final', 1)).toBe(false);
    expect(sales.remembers('final', 1)).toBe(false);
  });

  it('given a refusal, when this instance releases a hold of that sale or inventory holds tickets of it, then inventory is asked again at once', () => {
    // given
    const sales = new SoldOutSales(250, clock);
    sales.refused('final', 1);
    sales.refused('encore', 1);

    // when
    sales.onSale('final');
    sales.onSale('encore');

    // then
    expect(sales.remembers('final', 1)).toBe(false);
    expect(sales.remembers('encore', 1)).toBe(false);
  });

  it('given inventory asked before this instance released a hold, when its SOLD_OUT comes after the release, then it is ignored', () => {
    // given: the request asked at 1000; a hold of the sale was released at 1010
    const sales = new SoldOutSales(250, clock);
    const asked = now;
    now += 10;
    sales.onSale('final');

    // when: inventory's answer, decided before the release, arrives after it
    now += 10;
    sales.refused('final', 1, asked);

    // then
    expect(sales.remembers('final', 1)).toBe(false);
  });

  it('given a SOLD_OUT asked after the last release, when it comes, then it is remembered for the ttl from when it was asked', () => {
    // given
    const sales = new SoldOutSales(250, clock);
    sales.onSale('final');
    now += 10;
    const asked = now;

    // when
    now += 100;
    sales.refused('final', 1, asked);

    // then: the memory's age counts from the question, not the answer
    expect(sales.remembers('final', 1)).toBe(true);
    now += 149;
    expect(sales.remembers('final', 1)).toBe(true);
    now += 1;
    expect(sales.remembers('final', 1)).toBe(false);
  });

  it('given a ttl of 0, when inventory refuses, then nothing is remembered', () => {
    // given
    const sales = new SoldOutSales(0, clock);

    // when
    sales.refused('final', 1);

    // then
    expect(sales.remembers('final', 1)).toBe(false);
  });

  it('given as many sold-out sales as it keeps, when one more is refused, then the oldest is forgotten and the newest kept', () => {
    // given
    const sales = new SoldOutSales(60_000, clock);
    for (let i = 0; i < 10_000; i++) sales.refused(`sale-${i}`, 1);

    // when
    sales.refused('one-more', 1);

    // then
    expect(sales.remembers('sale-0', 1)).toBe(false);
    expect(sales.remembers('sale-1', 1)).toBe(true);
    expect(sales.remembers('one-more', 1)).toBe(true);
  });
});
